module github.com/paved-dev/paved

go 1.26

require go.yaml.in/yaml/v3 v3.0.6

require github.com/stretchr/testify v1.12.1 // indirect
