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
OutputDir=..\..\dist
OutputBaseFilename=Stagewise-{#AppVersion}-setup
SetupIconFile=..\..\resources\icons\stagewise.ico
UninstallDisplayIcon={app}\Stagewise.exe
Compression=lzma2
SolidCompression=yes
WizardStyle=modern
ArchitecturesInstallIn64BitMode=x64compatible
; The optional "addtopath" task changes the user's PATH; tell running programs.
ChangesEnvironment=yes

[InstallDelete]
; An upgrade replaces the program's libraries completely (no stale DLLs from the previous version).
Type: filesandordirs; Name: "{app}\_internal"

[Files]
Source: "..\..\dist\Stagewise\*"; DestDir: "{app}"; Flags: recursesubdirs createallsubdirs ignoreversion

[Icons]
Name: "{group}\Stagewise"; Filename: "{app}\Stagewise.exe"
Name: "{userdesktop}\Stagewise"; Filename: "{app}\Stagewise.exe"; Tasks: desktopicon

[Tasks]
Name: "desktopicon"; Description: "Create a desktop shortcut"; Flags: unchecked
Name: "addtopath"; Description: "Let a terminal find the stagewise-cli command (adds the program folder to your PATH)"; Flags: unchecked

[Registry]
; Per-user PATH entry (HKCU: no admin rights). Removed again by the uninstaller's [Code] below.
Root: HKCU; Subkey: "Environment"; ValueType: expandsz; ValueName: "Path"; ValueData: "{olddata};{app}"; Tasks: addtopath; Check: NeedsAddPath(ExpandConstant('{app}'))

[Run]
Filename: "{app}\Stagewise.exe"; Description: "Start Stagewise"; Flags: nowait postinstall skipifsilent

; Uninstalling removes the program only. Practice files, backups and settings live in the user's data
; folders and are never deleted by the uninstaller.

[Code]
function NeedsAddPath(Dir: string): Boolean;
var
  Paths: string;
begin
  if not RegQueryStringValue(HKEY_CURRENT_USER, 'Environment', 'Path', Paths) then
  begin
    Result := True;
    exit;
  end;
  Result := Pos(';' + Uppercase(Dir) + ';', ';' + Uppercase(Paths) + ';') = 0;
end;

procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);
var
  Paths, Dir: string;
  P: Integer;
begin
  if CurUninstallStep <> usPostUninstall then
    exit;
  if not RegQueryStringValue(HKEY_CURRENT_USER, 'Environment', 'Path', Paths) then
    exit;
  Dir := ExpandConstant('{app}');
  P := Pos(';' + Uppercase(Dir), Uppercase(Paths));
  if P > 0 then
  begin
    Delete(Paths, P, Length(Dir) + 1);
    RegWriteExpandStringValue(HKEY_CURRENT_USER, 'Environment', 'Path', Paths);
  end;
end;
