#!/usr/bin/env pwsh
# The standard matrix and its report in one command: a thin wrapper over ./hklab.
#   ./run-matrix.ps1 -Runs 20 -Out results/before
#   ./run-matrix.ps1 -Quick -Out results/smoke
param(
    [int] $Runs = 20,
    [string] $Out = "results/matrix",
    [switch] $Quick
)
$ErrorActionPreference = "Stop"
$hklab = Join-Path $PSScriptRoot "hklab"

$matrixArgs = @("matrix", "--out", $Out)
if ($Quick) { $matrixArgs += "--quick" }
# -Quick brings its own run count unless -Runs is given explicitly.
if (-not $Quick -or $PSBoundParameters.ContainsKey("Runs")) { $matrixArgs += @("--runs", "$Runs") }
& $hklab @matrixArgs
$matrixExit = $LASTEXITCODE
# 0: all runs ok; 1: some runs failed (still worth a report); anything else: no usable result set.
if ($matrixExit -ne 0 -and $matrixExit -ne 1) { exit $matrixExit }

& $hklab report $Out
if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
exit $matrixExit
