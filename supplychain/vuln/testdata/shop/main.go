package main

import (
	"fmt"

	"example.com/vulnlib"
)

func main() { fmt.Println(vulnlib.Hello()) }
