# The two commands of the README.  Both install missing Debian packages
# (when run as root or with sudo), configure and build:
#   make run   - index samples/ and run a sample search
#   make test  - run every test through ctest
BUILD ?= build
CMAKE_FLAGS ?=
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
DB ?= $(BUILD)/samples.db

.PHONY: all build deps run test clean

all: build

deps:
	@sh .ci/install-deps

$(BUILD)/CMakeCache.txt: | deps
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS)

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

run: build
	rm -f $(DB) $(DB)-wal $(DB)-shm
	$(BUILD)/indexer/newsindex --db $(DB) samples/news
	@echo
	@echo '== newsquery --db $(DB) --related 3 quill =='
	@$(BUILD)/query/newsquery --db $(DB) --related 3 quill
	@echo '== newsquery --db $(DB) -n 3 --facets topic,year zurich OR munchen =='
	@$(BUILD)/query/newsquery --db $(DB) -n 3 --facets topic,year zurich OR munchen

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

clean:
	rm -rf $(BUILD)
