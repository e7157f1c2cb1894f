module example.com/shop

go 1.26.0

require (
	example.com/vulnlib v1.0.0
	github.com/stretchr/testify v1.12.1
)

require go.yaml.in/yaml/v3 v3.0.6

replace example.com/vulnlib => ./vulnlib
