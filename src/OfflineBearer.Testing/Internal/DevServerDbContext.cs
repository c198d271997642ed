using Microsoft.EntityFrameworkCore;

namespace OfflineBearer.Testing.Internal;

/// <summary>The OpenIddict store: applications, authorizations, scopes and tokens (entities added by <c>UseOpenIddict</c>).</summary>
internal sealed class DevServerDbContext(DbContextOptions<DevServerDbContext> options) : DbContext(options);
