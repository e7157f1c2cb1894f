// Command quickstart is paved's first run: it loads the built-in DevSecOps
// capability map, validates it, and prints who owns what and the backlog of
// gaps. Nothing has evidence yet, so every control is a gap.
//
//	go run ./examples/quickstart
package main
