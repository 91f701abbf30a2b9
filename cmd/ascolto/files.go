package main

import "os"

// createPrivate creates (or empties) a file a command was asked to write,
// readable and writable by its owner only: exports and reports carry
// personal data (names, phone numbers, what citizens asked for), and
// os.Create would leave them readable by every user of the machine. An
// existing file keeps its mode, as cp and shell redirection do.
func createPrivate(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
}
