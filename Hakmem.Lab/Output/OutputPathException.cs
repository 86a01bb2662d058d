namespace Hakmem.Lab.Output;

/// <summary>An output path hklab cannot or must not write: one line naming it and why. Raised before
/// the first run, so that no measurement is lost to a bad path.</summary>
public sealed class OutputPathException(string message) : ArgumentException(message);

/// <summary>A write that failed part way (a full disk): what was saved, and where.</summary>
public sealed class ResultWriteException(string message, Exception inner) : IOException(message, inner);
