// Command ascolto is the civil-protection contact center: the ARI
// controller, the ACD, the console, the public form and the feeds, in one
// binary. main wires the packages together by hand; it holds no logic of
// its own beyond reading the command line.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // Europe/Rome must resolve even on a machine without zoneinfo
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], env{
		stdout: os.Stdout, stderr: os.Stderr, stdin: os.Stdin,
		getenv: os.Getenv, environ: os.Environ,
	})
	stop()
	os.Exit(code)
}
