// Package arisim is a faithful Asterisk 20 ARI simulator (placeholder doc, rewritten below).
package arisim
