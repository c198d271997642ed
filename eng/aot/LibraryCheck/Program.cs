// Nothing runs: the project exists for what its NativeAOT publish analyses (see LibraryCheck.csproj).
return 0;
