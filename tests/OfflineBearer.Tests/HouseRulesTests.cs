using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace OfflineBearer.Tests;

/// <summary>
/// The shape of the house (ARCHITECTURE.md), checked on every build so it cannot drift: folders depend on each other in
/// one direction, types and files stay small, no package sees another's internals, nothing in the library uses the
/// tool's folder.
/// </summary>
public sealed partial class HouseRulesTests
{
    private const int LongestFile = 250;
    private const int MostParameters = 5;

    /// <summary>The phrase a type's summary carries when its file is longer than <see cref="LongestFile"/> lines, followed by the reason.</summary>
    private const string LongFileReason = "Longer than 250 lines because";

    private static readonly string Root = FindRoot();
    private static readonly string Library = Path.Combine(Root, "src", "OfflineBearer");

    [Fact]
    public void Library_folders_depend_on_each_other_in_one_direction()
    {
        var graph = FolderGraph();

        var cycle = FindCycle(graph);

        Assert.True(cycle is null, $"Folders depend on each other in a cycle: {string.Join(" -> ", cycle ?? [])}");
    }

    [Fact]
    public void Nothing_in_the_library_but_the_tool_folder_uses_it()
    {
        var users = SourceFiles(Library)
            .Where(file => Folder(file) != "Tooling" && File.ReadAllText(file).Contains("OfflineBearer.Tooling", StringComparison.Ordinal))
            .Select(file => Path.GetRelativePath(Root, file));

        Assert.Empty(users);
    }

    [Fact]
    public void No_source_file_is_longer_than_250_lines_without_a_reason()
    {
        var long_ = SourceFiles(Path.Combine(Root, "src"))
            .Where(file => File.ReadLines(file).Count() > LongestFile && !File.ReadAllText(file).Contains(LongFileReason, StringComparison.Ordinal))
            .Select(file => Path.GetRelativePath(Root, file));

        Assert.Empty(long_);
    }

    [Fact]
    public void No_constructor_takes_more_than_five_parameters()
    {
        var assemblies = new[] { typeof(OfflineBearerOptions).Assembly };

        var crowded = assemblies
            .SelectMany(a => a.GetTypes())
            // Public constructors are part of the tracked public API (PublicAPI.*.txt) and change only with it.
            .Where(t => !t.IsVisible && !t.IsDefined(typeof(CompilerGeneratedAttribute)) && t.Namespace?.StartsWith("OfflineBearer", StringComparison.Ordinal) == true)
            .SelectMany(t => t.GetConstructors(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.DeclaredOnly))
            .Where(c => c.GetParameters().Length > MostParameters)
            .Select(c => $"{c.DeclaringType!.FullName}({c.GetParameters().Length})");

        Assert.Empty(crowded);
    }

    [Fact]
    public void Only_test_projects_see_a_packages_internals()
    {
        var testProjects = Directory.GetFiles(Path.Combine(Root, "tests"), "*.csproj", SearchOption.AllDirectories)
            .Select(Path.GetFileNameWithoutExtension)
            .ToHashSet(StringComparer.Ordinal);

        var friends = Directory.GetFiles(Path.Combine(Root, "src"), "*.csproj", SearchOption.AllDirectories)
            .SelectMany(project => XDocument.Load(project).Descendants("InternalsVisibleTo").Select(e => (Project: Path.GetFileName(project), Friend: (string?)e.Attribute("Include"))))
            .Where(f => f.Friend is null || !testProjects.Contains(f.Friend))
            .Select(f => $"{f.Project} -> {f.Friend}");

        Assert.Empty(friends);
    }

    /// <summary>Folder -> the folders whose types its files name (a public type counts for the folder its file is in).</summary>
    private static Dictionary<string, HashSet<string>> FolderGraph()
    {
        var files = SourceFiles(Library).Select(f => (Folder: Folder(f), Code: WithoutComments(File.ReadAllText(f)))).ToList();
        var owner = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (folder, code) in files)
        {
            foreach (Match m in TypeDeclaration().Matches(code))
            {
                owner.TryAdd(m.Groups[1].Value, folder);
            }
        }

        var graph = files.Select(f => f.Folder).Distinct().ToDictionary(f => f, _ => new HashSet<string>(StringComparer.Ordinal), StringComparer.Ordinal);
        foreach (var (folder, code) in files)
        {
            foreach (Match word in Word().Matches(code))
            {
                if (owner.TryGetValue(word.Value, out var other) && other != folder)
                {
                    graph[folder].Add(other);
                }
            }
        }

        return graph;
    }

    private static List<string>? FindCycle(Dictionary<string, HashSet<string>> graph)
    {
        var state = new Dictionary<string, int>(StringComparer.Ordinal);
        var path = new List<string>();
        foreach (var start in graph.Keys)
        {
            if (Visit(start) is { } cycle)
            {
                return cycle;
            }
        }

        return null;

        List<string>? Visit(string folder)
        {
            if (state.GetValueOrDefault(folder) == 2)
            {
                return null;
            }

            if (state.GetValueOrDefault(folder) == 1)
            {
                return [.. path[path.IndexOf(folder)..], folder];
            }

            state[folder] = 1;
            path.Add(folder);
            foreach (var next in graph[folder])
            {
                if (Visit(next) is { } cycle)
                {
                    return cycle;
                }
            }

            path.RemoveAt(path.Count - 1);
            state[folder] = 2;
            return null;
        }
    }

    private static IEnumerable<string> SourceFiles(string directory) =>
        Directory.GetFiles(directory, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal));

    /// <summary>The feature folder of a library file; "." for the root.</summary>
    private static string Folder(string file) =>
        Path.GetRelativePath(Library, file).Split(Path.DirectorySeparatorChar) is [var folder, _, ..] ? folder : ".";

    private static string WithoutComments(string code) => LineComment().Replace(code, string.Empty);

    private static string FindRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "AuthHandler.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("The repository root (AuthHandler.sln) was not found above the test's directory.");
    }

    [GeneratedRegex(@"\b(?:class|record|struct|interface|enum)\s+(?:struct\s+)?([A-Z]\w*)")]
    private static partial Regex TypeDeclaration();

    [GeneratedRegex(@"\b[A-Z]\w*\b")]
    private static partial Regex Word();

    [GeneratedRegex(@"//.*")]
    private static partial Regex LineComment();
}
