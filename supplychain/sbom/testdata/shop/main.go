package main

import (
	"fmt"

	"example.com/vulnlib"
	"go.yaml.in/yaml/v3"
)

func main() {
	out, err := yaml.Marshal(map[string]string{"greeting": vulnlib.Hello()})
	fmt.Println(string(out), err)
}
