#!/usr/bin/env pwsh
# The standard matrix and its report in one command: a thin wrapper over ./hklab.
#   ./run-matrix.ps1 -Runs 20 -Out results/before
#   ./run-matrix.ps1 -Quick -Out results/smoke
#   ./run-matrix.ps1 -Out results/larson --workloads larson --threads 1,4   (anything else goes to hklab matrix as it is)
# Exit code: hklab's. 0 every run ok, 1 some runs failed (the report is drawn all the same), 2 bad input,
# 130 interrupted. Bad input is one line on stderr, as hklab's own. $env:HKLAB names another hklab to run.
$ErrorActionPreference = "Stop"
$hklab = if ($env:HKLAB) { $env:HKLAB } else { Join-Path $PSScriptRoot "hklab" }

function Fail([string] $message) {
    [Console]::Error.WriteLine("run-matrix.ps1: $message")
    exit 2
}

# The script's own three options, read by hand: PowerShell's parameter binding answers a missing value
# or an unknown name with a multi-line error of its own.
$runs = $null; $out = "results/matrix"; $quick = $false; $rest = @()
for ($i = 0; $i -lt $args.Count; $i++) {
    $a = [string] $args[$i]
    switch -Exact ($a.ToLowerInvariant()) {
        "-runs" { if ($i + 1 -ge $args.Count) { Fail "-Runs needs a value: a whole number of runs per cell" }; $runs = [string] $args[++$i] }
        "-out" { if ($i + 1 -ge $args.Count) { Fail "-Out needs a value: the result directory" }; $out = [string] $args[++$i] }
        "-quick" { $quick = $true }
        default {
            if ($a -match '^-[A-Za-z]') { Fail "unknown option '$a': expected -Runs N, -Out DIR, -Quick, or hklab matrix's own --options" }
            $rest += $a
        }
    }
}

$matrixArgs = @("matrix", "--out", $out)
if ($quick) { $matrixArgs += "--quick" }
# -Quick brings its own run count unless -Runs is given; otherwise 20 runs per cell.
if ($null -ne $runs) { $matrixArgs += @("--runs", $runs) } elseif (-not $quick -and $rest -notcontains "--runs") { $matrixArgs += @("--runs", "20") }
$matrixArgs += $rest

& $hklab @matrixArgs
$matrixExit = $LASTEXITCODE
# 0: all runs ok; 1: some runs failed (still worth a report); anything else: no usable result set.
if ($matrixExit -ne 0 -and $matrixExit -ne 1) { exit $matrixExit }

& $hklab report $out
if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
exit $matrixExit
