"""The letters tests reuse the P3 steps: keep their asserts readable (rewrite before import)."""
import pytest

pytest.register_assert_rewrite("tests.procedures.gesprek_steps")
