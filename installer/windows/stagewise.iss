; Inno Setup script: per-user installer for the PyInstaller one-folder build (no admin rights).
; Build the bundle first on Windows:  py -m PyInstaller --noconfirm --clean installer\stagewise.spec
; then:  iscc /DAppVersion=0.1.0 installer\windows\stagewise.iss
#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif

[Setup]
AppId={{6F0C1E5A-6E2B-4C59-9B8C-7D3B5A2E4C11}
AppName=Stagewise
AppVersion={#AppVersion}
AppPublisher=Stagewise
DefaultDirName={localappdata}\Programs\Stagewise
DefaultGroupName=Stagewise
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
OutputDir=..\..\dist
OutputBaseFilename=Stagewise-{#AppVersion}-setup
SetupIconFile=..\..\resources\icons\stagewise.ico
UninstallDisplayIcon={app}\Stagewise.exe
Compression=lzma2
SolidCompression=yes
WizardStyle=modern
ArchitecturesInstallIn64BitMode=x64compatible

[Files]
Source: "..\..\dist\Stagewise\*"; DestDir: "{app}"; Flags: recursesubdirs createallsubdirs ignoreversion

[Icons]
Name: "{group}\Stagewise"; Filename: "{app}\Stagewise.exe"
Name: "{userdesktop}\Stagewise"; Filename: "{app}\Stagewise.exe"; Tasks: desktopicon

[Tasks]
Name: "desktopicon"; Description: "Create a desktop shortcut"; Flags: unchecked

[Run]
Filename: "{app}\Stagewise.exe"; Description: "Start Stagewise"; Flags: nowait postinstall skipifsilent

; Uninstalling removes the program only. Practice files, backups and settings live in the user's data
; folders and are never deleted by the uninstaller.
