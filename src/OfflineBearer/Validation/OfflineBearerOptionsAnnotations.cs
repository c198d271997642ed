using Microsoft.Extensions.Options;

namespace OfflineBearer.Validation;

/// <summary>
/// The single-option rules, written as data annotations on <see cref="OfflineBearerOptions"/> and checked by code the
/// options source generator writes (no reflection, so it stays trimming- and AOT-safe).
/// </summary>
[OptionsValidator]
internal sealed partial class OfflineBearerOptionsAnnotations : IValidateOptions<OfflineBearerOptions>;
