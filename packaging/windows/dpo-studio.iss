; Inno Setup script for the DPO Studio Windows installer (Inno Setup 6.3 or later; also Inno Setup 7).
;
; Do not compile this by hand: packaging\windows\build.ps1 builds the PyInstaller bundle first and
; then runs   ISCC.exe /DAppVersion=<version> /DAppVersionTuple=<a.b.c.d> dpo-studio.iss
; with the version read from pyproject.toml (its single source), so nothing here hard-codes it.
;
; Result: build\installer\DPO-Studio-<version>-setup.exe, which installs the one-dir bundle from
; build\dist\dpo-studio into Program Files (or the user's folder when not elevated), adds a Start-menu
; entry for the windowed dpo-studio-gui.exe (no console window), registers an uninstaller with the
; app's icon and version, and optionally opens .jsonl files with DPO Studio.

#ifndef AppVersion
  #error Run build.ps1, or pass /DAppVersion=x.y.z /DAppVersionTuple=x.y.z.0 to ISCC.
#endif
#ifndef AppVersionTuple
  #define AppVersionTuple AppVersion + ".0"
#endif

#define AppName "DPO Studio"
#define AppPublisher "DPO Studio developers"
#define AppExeName "dpo-studio-gui.exe"
#define AppCliName "dpo-studio.exe"
#define Bundle "..\..\build\dist\dpo-studio"
#define AssocExt ".jsonl"
#define AssocKey "DPOStudio.jsonl"

[Setup]
; AppId identifies the product for upgrades and the uninstaller; never change it between versions.
AppId={{6F1B7C52-4D0E-4F7B-9C8A-2E5D3B7A9D10}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher={#AppPublisher}
AppCopyright=Copyright (c) {#AppPublisher}. MIT licence.
VersionInfoVersion={#AppVersionTuple}
VersionInfoProductVersion={#AppVersionTuple}
VersionInfoDescription={#AppName} installer
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
; Per-user install without admin rights is offered; an administrator can install for everyone.
PrivilegesRequired=admin
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0
OutputDir=..\..\build\installer
OutputBaseFilename=DPO-Studio-{#AppVersion}-setup
SetupIconFile=..\..\resources\icons\dpo-studio.ico
UninstallDisplayIcon={app}\{#AppExeName}
UninstallDisplayName={#AppName} {#AppVersion}
LicenseFile=..\..\resources\licenses\dpo-studio-MIT.txt
WizardStyle=modern
Compression=lzma2
SolidCompression=yes
ChangesAssociations=yes
; Close a running DPO Studio before replacing its files.
CloseApplications=yes

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked
Name: "jsonlassoc"; Description: "Open .jsonl files with {#AppName}"; GroupDescription: "File associations:"; Flags: unchecked

[Files]
; The whole PyInstaller one-dir bundle: both executables and _internal\ (Qt, Python, licences).
Source: "{#Bundle}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{group}\{#AppName}"; Filename: "{app}\{#AppExeName}"; WorkingDir: "{userdocs}"; Comment: "Prepare preference data and run DPO fine-tuning"
Name: "{group}\Uninstall {#AppName}"; Filename: "{uninstallexe}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExeName}"; WorkingDir: "{userdocs}"; Tasks: desktopicon

[Registry]
; .jsonl association (optional task): registered as an "Open with" choice, not forced as the default.
Root: HKA; Subkey: "Software\Classes\{#AssocExt}\OpenWithProgids"; ValueType: string; ValueName: "{#AssocKey}"; ValueData: ""; Flags: uninsdeletevalue; Tasks: jsonlassoc
Root: HKA; Subkey: "Software\Classes\{#AssocKey}"; ValueType: string; ValueName: ""; ValueData: "JSON Lines dataset"; Flags: uninsdeletekey; Tasks: jsonlassoc
Root: HKA; Subkey: "Software\Classes\{#AssocKey}\DefaultIcon"; ValueType: string; ValueName: ""; ValueData: "{app}\{#AppExeName},0"; Tasks: jsonlassoc
Root: HKA; Subkey: "Software\Classes\{#AssocKey}\shell\open\command"; ValueType: string; ValueName: ""; ValueData: """{app}\{#AppExeName}"" ""%1"""; Tasks: jsonlassoc
Root: HKA; Subkey: "Software\Classes\Applications\{#AppExeName}\SupportedTypes"; ValueType: string; ValueName: "{#AssocExt}"; ValueData: ""; Flags: uninsdeletevalue; Tasks: jsonlassoc

[Run]
Filename: "{app}\{#AppExeName}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent
