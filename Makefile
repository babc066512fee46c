# Two entry points for a fresh clone: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# torch is pinned on the same pip command so pip takes the local CPU build.
TORCH_PIN ?= torch==2.13.0

.PHONY: run test check-install clean

$(BIN)/activate: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet $(TORCH_PIN) -e ".[test]"
	touch $(BIN)/activate

run: $(BIN)/activate
	$(BIN)/python -m gui

test: $(BIN)/activate
	$(BIN)/python -c "import torch; assert torch.version.cuda is None, 'CUDA build of torch installed'"
	$(BIN)/ruff check .
	$(BIN)/mypy
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest

# Build the wheel, install it into a fresh venv outside the clone, evaluate and open it there.
check-install: $(BIN)/activate
	PYTHON=$(PYTHON) .ci/check_install

clean:
	rm -rf $(VENV)
