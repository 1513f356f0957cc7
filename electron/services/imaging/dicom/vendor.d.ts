/**
 * The few members of untyped packages that the DICOM reader and the DICOM SEG writer use, typed
 * narrowly so the rest of the code stays free of `any`. Only what we call is declared; anything
 * else stays unknown.
 */
declare module 'dcmjs' {
  /** One data element as dcmjs keeps it: VR and the parsed values (sequence items are maps). */
  export interface DcmjsElement {
    readonly vr: string;
    readonly Value?: readonly unknown[];
  }
  export type DcmjsDataset = Readonly<Record<string, DcmjsElement | undefined>>;
  export interface DcmjsDicomDict {
    readonly meta: DcmjsDataset;
    readonly dict: DcmjsDataset;
  }
  export interface DcmjsReadOptions {
    readonly ignoreErrors?: boolean;
    readonly untilTag?: string | null;
    readonly includeUntilTagValue?: boolean;
    readonly noCopy?: boolean;
    readonly forceStoreRaw?: boolean;
  }
  /**
   * A dataset keyed by DICOM keyword (dcmjs's "naturalized" form): sequences are arrays of such
   * objects, `_vrMap` names the VR of elements whose dictionary VR is ambiguous (PixelData).
   */
  export interface NaturalDataset {
    [keyword: string]: unknown;
  }
  /** A file being written: file meta plus dataset, both in tag-keyed form. */
  export interface DcmjsWritableDict {
    dict: DcmjsDataset;
    write(options?: { readonly allowInvalidVRLength?: boolean }): ArrayBuffer;
  }
  const dcmjs: {
    readonly data: {
      readonly DicomMessage: { readFile(buffer: ArrayBuffer, options?: DcmjsReadOptions): DcmjsDicomDict };
      readonly DicomDict: new (meta: DcmjsDataset) => DcmjsWritableDict;
      readonly DicomMetaDictionary: {
        denaturalizeDataset(dataset: NaturalDataset): DcmjsDataset;
        naturalizeDataset(dataset: DcmjsDataset): NaturalDataset;
      };
    };
    readonly log: {
      setLevel(level: 'error' | 'warn' | 'info' | 'silent'): void;
      getLogger(name: string): { setLevel(level: 'error' | 'warn' | 'info' | 'silent'): void };
    };
  };
  export default dcmjs;
}

declare module '@cornerstonejs/codec-openjpeg/decodewasmjs' {
  export interface J2KFrameInfo {
    readonly width: number;
    readonly height: number;
    readonly bitsPerSample: number;
    readonly componentCount: number;
    readonly isSigned: boolean;
  }
  export interface J2KDecoder {
    getEncodedBuffer(length: number): Uint8Array;
    decode(): void;
    getDecodedBuffer(): Uint8Array;
    getFrameInfo(): J2KFrameInfo;
    delete(): void;
  }
  export interface OpenJpegModule {
    readonly J2KDecoder: new () => J2KDecoder;
  }
  /** Emscripten's module options: the .wasm bytes, or a hook that instantiates it ourselves. */
  export type OpenJpegFactory = (options: {
    wasmBinary?: Uint8Array;
    instantiateWasm?: (
      imports: Record<string, Record<string, unknown>>,
      receive: (instance: object, module: object) => void,
    ) => Record<string, unknown>;
    print?: (s: string) => void;
    printErr?: (s: string) => void;
  }) => Promise<OpenJpegModule>;
  const factory: OpenJpegFactory;
  export default factory;
}
