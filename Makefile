# SPDX-License-Identifier: MIT
# A thin wrapper over meson: `make demo` and `make test` are all a newcomer needs.
# Each target installs missing Debian packages first (scripts/install-deps), then configures
# build/ once and builds. CI=true (set by CI) turns warnings into errors.

BUILD ?= build
MESON_FLAGS ?=
ifeq ($(CI),true)
MESON_FLAGS += -Dwerror=true
endif

.PHONY: all deps setup demo test install clean

all: setup
	ninja -C $(BUILD)

deps:
	@./scripts/install-deps

setup: deps
	@test -f $(BUILD)/build.ninja || meson setup $(BUILD) $(MESON_FLAGS)

demo: all
	./$(BUILD)/cli/patrol demo

test: all
	meson test -C $(BUILD) --print-errorlogs

install: all
	meson install -C $(BUILD)

clean:
	rm -rf $(BUILD)
