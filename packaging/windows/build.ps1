<#
.SYNOPSIS
  Build the DPO Studio Windows installer: PyInstaller bundle -> smoke test -> Inno Setup installer
  -> silent install into a temporary folder -> smoke test of the installed app -> silent uninstall.

.DESCRIPTION
  Run from a PowerShell prompt in the repository root on 64-bit Windows 10/11:

      py -3.11 -m venv .venv
      .venv\Scripts\python -m pip install -e ".[packaging]"
      powershell -ExecutionPolicy Bypass -File packaging\windows\build.ps1

  Needs Inno Setup 6.3+ (https://jrsoftware.org/isdl.php; or `winget install JRSoftware.InnoSetup`).
  ISCC.exe is looked up on PATH and in the default install folders; set $env:ISCC to override.
  Output: build\installer\DPO-Studio-<version>-setup.exe. Prints build time and installer size.
  The version comes from pyproject.toml through packaging\project_version.py (single source).
#>
[CmdletBinding()]
param(
  [string]$Python = "",
  [switch]$SkipInstallTest
)
$ErrorActionPreference = "Stop"
Set-StrictMode -Version Latest

$Repo = (Resolve-Path (Join-Path $PSScriptRoot "..\..")).Path
Set-Location $Repo
if (-not $Python) { $Python = Join-Path $Repo ".venv\Scripts\python.exe" }
if (-not (Test-Path $Python)) { throw "Python not found at $Python (create .venv first, see the help above)." }
$Started = Get-Date

function Invoke-Checked([string]$File, [string[]]$Arguments) {
  & $File @Arguments
  if ($LASTEXITCODE -ne 0) { throw "$File $($Arguments -join ' ') failed with exit code $LASTEXITCODE" }
}

function Invoke-SmokeTest([string]$Exe) {
  # The console executable prints the report; its exit code says whether every check passed and
  # stderr stayed clean (the smoke test uses a temporary profile of its own). Start-Process with
  # redirection, because Windows PowerShell 5.1 turns native stderr into errors under "Stop".
  Write-Host "== smoke test: $Exe"
  $out = New-TemporaryFile
  $err = New-TemporaryFile
  $run = Start-Process -FilePath $Exe -ArgumentList "--smoke-test" -NoNewWindow -Wait -PassThru `
    -RedirectStandardOutput $out.FullName -RedirectStandardError $err.FullName
  Get-Content $out.FullName | Write-Host
  $stderr = (Get-Content $err.FullName -Raw)
  Remove-Item $out.FullName, $err.FullName
  if ($run.ExitCode -ne 0) { throw "smoke test failed (exit code $($run.ExitCode)) $stderr" }
  if ($stderr) { throw "smoke test wrote to stderr: $stderr" }
}

$Version = (& $Python packaging\project_version.py).Trim()
$VersionTuple = (& $Python packaging\project_version.py --windows-tuple).Trim()
Write-Host "== DPO Studio $Version ($VersionTuple)"

# 1. PyInstaller one-dir bundle. The spec writes packaging\windows\version_info.txt from pyproject.toml
#    and embeds it, with the .ico, in both executables.
Write-Host "== PyInstaller"
Invoke-Checked $Python @("-m", "PyInstaller", "--noconfirm", "--clean", "--log-level", "WARN",
  "--distpath", "build\dist", "--workpath", "build\pyinstaller", "packaging\dpo_studio.spec")
$Bundle = Join-Path $Repo "build\dist\dpo-studio"
foreach ($exe in @("dpo-studio-gui.exe", "dpo-studio.exe")) {
  if (-not (Test-Path (Join-Path $Bundle $exe))) { throw "$exe is missing from $Bundle" }
}
$FileVersion = (Get-Item (Join-Path $Bundle "dpo-studio-gui.exe")).VersionInfo.ProductVersion
if ($FileVersion -ne $Version) { throw "dpo-studio-gui.exe says version '$FileVersion', pyproject.toml '$Version'" }
$FrozenSeconds = [math]::Round(((Get-Date) - $Started).TotalSeconds, 1)
Invoke-SmokeTest (Join-Path $Bundle "dpo-studio.exe")

# 2. Inno Setup installer.
$Iscc = $env:ISCC
if (-not $Iscc) {
  $found = Get-Command ISCC.exe -ErrorAction SilentlyContinue
  if ($found) { $Iscc = $found.Source }
}
if (-not $Iscc) {
  $Iscc = @(
    "${env:ProgramFiles(x86)}\Inno Setup 6\ISCC.exe",
    "$env:ProgramFiles\Inno Setup 6\ISCC.exe",
    "$env:ProgramFiles\Inno Setup 7\ISCC.exe",
    "$env:LOCALAPPDATA\Programs\Inno Setup 6\ISCC.exe"
  ) | Where-Object { Test-Path $_ } | Select-Object -First 1
}
if (-not $Iscc) { throw "ISCC.exe (Inno Setup) not found; install it or set `$env:ISCC." }
Write-Host "== Inno Setup ($Iscc)"
Invoke-Checked $Iscc @("/Q", "/DAppVersion=$Version", "/DAppVersionTuple=$VersionTuple",
  "packaging\windows\dpo-studio.iss")
$Installer = Join-Path $Repo "build\installer\DPO-Studio-$Version-setup.exe"
if (-not (Test-Path $Installer)) { throw "the installer was not written to $Installer" }

# 3. Install silently for the current user into a temporary folder, smoke-test the installed copy,
#    check the Start-menu entry, then uninstall silently.
if (-not $SkipInstallTest) {
  $Target = Join-Path ([System.IO.Path]::GetTempPath()) "dpo-studio-install-test"
  if (Test-Path $Target) { Remove-Item -Recurse -Force $Target }
  Write-Host "== silent install into $Target"
  $install = Start-Process -FilePath $Installer -Wait -PassThru -ArgumentList @(
    "/VERYSILENT", "/SUPPRESSMSGBOXES", "/NORESTART", "/CURRENTUSER", "/SP-", "/DIR=`"$Target`"",
    "/LOG=`"$Target.log`"")
  if ($install.ExitCode -ne 0) { throw "the installer failed (exit code $($install.ExitCode)); see $Target.log" }
  Invoke-SmokeTest (Join-Path $Target "dpo-studio.exe")
  $StartMenu = Join-Path $env:APPDATA "Microsoft\Windows\Start Menu\Programs\DPO Studio.lnk"
  $StartMenuGroup = Join-Path $env:APPDATA "Microsoft\Windows\Start Menu\Programs\DPO Studio\DPO Studio.lnk"
  if (-not ((Test-Path $StartMenu) -or (Test-Path $StartMenuGroup))) { throw "no Start-menu entry was created" }
  $uninstall = Start-Process -FilePath (Join-Path $Target "unins000.exe") -Wait -PassThru `
    -ArgumentList @("/VERYSILENT", "/SUPPRESSMSGBOXES", "/NORESTART")
  if ($uninstall.ExitCode -ne 0) { throw "the uninstaller failed (exit code $($uninstall.ExitCode))" }
  if (Test-Path (Join-Path $Target "dpo-studio.exe")) { throw "the uninstaller left dpo-studio.exe behind" }
}

$Seconds = [math]::Round(((Get-Date) - $Started).TotalSeconds, 1)
$SizeMB = [math]::Round((Get-Item $Installer).Length / 1MB, 1)
Write-Host "installer: $Installer"
Write-Host "installer size: $SizeMB MB"
Write-Host "build time: $Seconds s (PyInstaller $FrozenSeconds s)"
