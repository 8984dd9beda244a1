package credentials

// SetBeforeRenameHook lets a test stop a writer between writing its
// temporary file and renaming it, to stand in for a crash there.
func SetBeforeRenameHook(f func(tmp string)) { testHookBeforeRename = f }
