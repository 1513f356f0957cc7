"""The CLI commands, one module each; hsam.py parses the arguments and calls one of them.

  convert (convert)   export (export_checkpoint)   quantize (quantize_folder)
  make_random         reference                    finetune (finetune, run_cli)
  train_demo          demo_lopo                    demo_eval_set
  common: JSON-lines progress, log lines and the card's Dice report shared by them.
"""
