# `make test` is the README's test command, scripts/test, for those who type make.
.PHONY: test
test:
	scripts/test
