module example.com/vulnlib

go 1.26.0
