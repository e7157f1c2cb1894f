package vulnlib

// Hello says hello.
func Hello() string { return "hello" }
