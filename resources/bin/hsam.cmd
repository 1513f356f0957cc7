@echo off
rem The `hsam` command of an installed H-SAM Workstation on Windows: the bundled command line on
rem the app's own Node (Electron as Node). Add this folder (…\resources\bin) to PATH to use it anywhere.
setlocal
set ELECTRON_RUN_AS_NODE=1
"%~dp0..\..\hsam-workstation.exe" "%~dp0..\app.asar.unpacked\dist\cli\hsam.js" %*
