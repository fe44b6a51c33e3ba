"""The expression language of the diagrams: a small, safe subset of Python.

Conditions, timer, due-date and assignee expressions come from diagrams that process owners
upload, so they are untrusted text. SpiffWorkflow's default engine runs them with plain
`eval`/`exec`, and even `{'__builtins__': {}}` or RestrictedPython's `safe_globals` can be escaped
(`().__class__.__base__.__subclasses__()`; shared research notes on SpiffWorkflow 3.2, section 5).
So nothing here calls eval/exec/compile: the text is parsed with `ast.parse` and the tree is
checked against a whitelist and then walked by this module, with limits on size, depth, steps and
result sizes, so that no expression can reach Python internals or run unbounded.

The user-facing contract is processes/README.md, "Expressions". Error messages are Dutch: the
process owner reads them (at deploy, or in the case history when a gateway fails).
"""
from __future__ import annotations

import ast
import functools
import operator
import re
from datetime import date, datetime
from typing import Any, Iterable, Mapping

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment
from SpiffWorkflow.exceptions import SpiffWorkflowException

from app.engine.werkdagen import WerkdagKalender

MAX_SOURCE_CHARS = 10_000
MAX_DEPTH = 50          # nesting of the tree; also keeps our recursive walk far from Python's limit
MAX_STEPS = 10_000      # node visits per check or evaluation
MAX_INT_LITERAL = 10**9
MAX_STR_LITERAL = 1_000
MAX_LITERAL_ITEMS = 100
MAX_RESULT_LEN = 100_000  # chars/elements of a string or list built by + or *
MAX_INT_RESULT = 10**30   # ints stay small enough that arithmetic is always cheap
HELPER_CALL_STEPS = 100   # a helper call costs more than a node: fewer than 100 calls per evaluation


class ExpressieFout(Exception):
    """An expression is not allowed or cannot be evaluated. The message is Dutch, for the author."""


# --- the text around the expression -----------------------------------------------------------

_PLACEHOLDER = re.compile(r"\s*\$\{(.*)\}\s*", re.DOTALL)

# Bare ISO 8601 literals as modelers write them in timer fields (P2W, PT30M, R3/P1D, a datetime).
# Designators upper case only, so a lower-case name of case data is never mistaken for one.
_DURATION = r"P(?:\d+W|(?=\d|T\d)(?:\d+Y)?(?:\d+M)?(?:\d+D)?(?:T(?=\d)(?:\d+H)?(?:\d+M)?(?:\d+(?:[.,]\d+)?S)?)?)"
_DATETIME = r"\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?)?"
_ISO_DURATION = re.compile(_DURATION)
_ISO_DATETIME = re.compile(_DATETIME)
_ISO_CYCLE = re.compile(rf"R\d*/(?:{_DURATION}|{_DATETIME})(?:/(?:{_DURATION}|{_DATETIME}))?")


def strip_placeholder(src: str) -> str:
    """`${expr}` (what Camunda users type) -> `expr`."""
    m = _PLACEHOLDER.fullmatch(src)
    return m.group(1) if m else src


def normalize_timer_expression(text: str) -> str:
    """A bare ISO 8601 duration, datetime or cycle becomes a quoted string literal.

    SpiffWorkflow evaluates timer text as an expression, so `P2W` would be an unknown name and
    `2026-12-10` would even be a subtraction. Such a literal therefore wins over any other reading,
    in every kind of expression. Anything else is returned unchanged.
    """
    stripped = strip_placeholder(text).strip()
    if _ISO_DURATION.fullmatch(stripped) or _ISO_CYCLE.fullmatch(stripped):
        return repr(stripped)
    if _ISO_DATETIME.fullmatch(stripped):
        try:
            datetime.fromisoformat(stripped.replace(",", "."))
        except ValueError:
            raise ExpressieFout(f"ongeldige datum/tijd {stripped!r}") from None
        return repr(stripped)
    return text


# --- checking -----------------------------------------------------------------------------------

_BINOPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
           ast.Div: operator.truediv, ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod}
_UNARYOPS = {ast.Not: operator.not_, ast.USub: operator.neg, ast.UAdd: operator.pos}
_CMPOPS = {ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
           ast.Gt: operator.gt, ast.GtE: operator.ge, ast.Is: operator.is_, ast.IsNot: operator.is_not,
           ast.In: lambda a, b: a in b, ast.NotIn: lambda a, b: a not in b}

# Node types that are plumbing inside allowed nodes; they are checked through their parent.
_PLAIN = (ast.Expression, ast.BoolOp, ast.And, ast.Or, ast.IfExp, ast.Subscript, ast.Slice,
          ast.Load, ast.Compare, ast.keyword, *_CMPOPS)

_REFUSED = {
    ast.Attribute: "attributen (zoals .naam of .__class__) en namen met __ zijn niet toegestaan in een expressie",
    ast.Lambda: "lambda is niet toegestaan in een expressie",
    ast.ListComp: "comprehensions en lussen (for … in …) zijn niet toegestaan in een expressie",
    ast.SetComp: "comprehensions en lussen (for … in …) zijn niet toegestaan in een expressie",
    ast.DictComp: "comprehensions en lussen (for … in …) zijn niet toegestaan in een expressie",
    ast.GeneratorExp: "comprehensions en lussen (for … in …) zijn niet toegestaan in een expressie",
    ast.NamedExpr: "toekennen (:=) is niet toegestaan in een expressie",
    ast.JoinedStr: "f-strings zijn niet toegestaan in een expressie",
    ast.Starred: "uitpakken met * of ** is niet toegestaan in een expressie",
    ast.Set: "verzamelingen ({a, b}) zijn niet toegestaan; gebruik een lijst [a, b]",
    ast.Await: "await is niet toegestaan in een expressie",
    ast.Yield: "yield is niet toegestaan in een expressie",
    ast.YieldFrom: "yield is niet toegestaan in een expressie",
}


def check(src: str, helper_names: Iterable[str] | None = None) -> None:
    """Raise ExpressieFout when `src` is outside the expression language (used at deploy).

    `helper_names`: the functions a call may name; by default the helpers of processes/README.md.
    """
    _check_calls(_parse(src), _helper_names(helper_names))


def _parse(src: str) -> tuple[ast.Expression, frozenset[str]]:
    if not isinstance(src, str):  # before the cache, which needs a hashable key
        raise ExpressieFout(f"een expressie moet tekst zijn, niet {type(src).__name__}")
    return _parse_text(src)


@functools.lru_cache(maxsize=2048)
def _parse_text(src: str) -> tuple[ast.Expression, frozenset[str]]:
    """Parse and check the structure once per distinct text; returns the tree and called names."""
    text = normalize_timer_expression(strip_placeholder(src)).strip()
    if not text:
        raise ExpressieFout("lege expressie")
    if len(text) > MAX_SOURCE_CHARS:
        raise ExpressieFout(f"expressie is te lang (meer dan {MAX_SOURCE_CHARS} tekens)")
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as e:
        if re.match(r"\s*(import|from)\b", text):
            raise ExpressieFout("import is niet toegestaan: een expressie kan geen modules laden") from None
        raise ExpressieFout(f"ongeldige expressie ({e.msg}, positie {e.offset})") from None
    except (RecursionError, MemoryError):
        raise ExpressieFout("expressie is te complex (te diep genest)") from None
    return tree, _check_tree(tree)


def _check_tree(tree: ast.Expression) -> frozenset[str]:
    # Iterative on purpose: the tree may be deeper than our own recursion should go.
    called: set[str] = set()
    stack = [(tree, 0)]
    count = 0
    deferred = None
    while stack:
        node, depth = stack.pop()
        count += 1
        if count > MAX_STEPS:
            raise ExpressieFout(f"expressie is te complex (meer dan {MAX_STEPS} onderdelen)")
        if depth > MAX_DEPTH:
            raise ExpressieFout(f"expressie is te complex (dieper dan {MAX_DEPTH} niveaus genest)")
        deferred = _check_node(node, called) or deferred
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))
    if deferred:
        raise ExpressieFout(deferred)
    return frozenset(called)


def _check_node(node: ast.AST, called: set[str]) -> str | None:
    """Raise for a refused node; return a message to raise later if nothing more specific turns up."""
    refused = _REFUSED.get(type(node))
    if refused:
        raise ExpressieFout(refused)
    if isinstance(node, ast.Constant):
        _check_constant(node.value)
    elif isinstance(node, ast.Name):
        if node.id.startswith("_"):
            raise ExpressieFout(f"namen die met _ of __ beginnen zijn niet toegestaan ({node.id!r})")
    elif isinstance(node, (ast.List, ast.Tuple)):
        if len(node.elts) > MAX_LITERAL_ITEMS:
            raise ExpressieFout(f"een lijst in een expressie mag hoogstens {MAX_LITERAL_ITEMS} elementen hebben")
    elif isinstance(node, ast.Dict):
        if any(key is None for key in node.keys):
            raise ExpressieFout("uitpakken met ** is niet toegestaan in een expressie")
        if len(node.keys) > MAX_LITERAL_ITEMS:
            raise ExpressieFout(f"een woordenboek in een expressie mag hoogstens {MAX_LITERAL_ITEMS} elementen hebben")
    elif isinstance(node, ast.BinOp):
        if isinstance(node.op, ast.Pow):
            raise ExpressieFout("machtsverheffen (**) is niet toegestaan in een expressie")
        if type(node.op) not in _BINOPS:
            raise ExpressieFout("alleen de rekenoperatoren + - * / // % zijn toegestaan")
    elif isinstance(node, ast.UnaryOp):
        if type(node.op) not in _UNARYOPS:
            raise ExpressieFout("alleen not, - en + zijn toegestaan vóór een waarde")
    elif isinstance(node, ast.Call):
        if isinstance(node.func, ast.Attribute):  # obj.method(): the way out of every Python sandbox
            raise ExpressieFout(_REFUSED[ast.Attribute])
        if any(k.arg is None for k in node.keywords):
            raise ExpressieFout("uitpakken met ** is niet toegestaan in een expressie")
        if not isinstance(node.func, ast.Name):
            # `(lambda: 1)()`: the lambda inside says more than this does, so report it first.
            return "alleen hulpfuncties mogen worden aangeroepen, zoals werkdagen_voor(datum, 3)"
        called.add(node.func.id)
    elif not isinstance(node, _PLAIN) and type(node) not in _BINOPS and type(node) not in _UNARYOPS:
        raise ExpressieFout(f"{type(node).__name__} is niet toegestaan in een expressie")
    return None


def _check_constant(value: Any) -> None:
    if isinstance(value, bool) or value is None:
        return
    if isinstance(value, int):
        if abs(value) > MAX_INT_LITERAL:
            raise ExpressieFout(f"getal te groot (hoogstens {MAX_INT_LITERAL})")
    elif isinstance(value, float):
        pass
    elif isinstance(value, str):
        if len(value) > MAX_STR_LITERAL:
            raise ExpressieFout(f"tekst te lang (hoogstens {MAX_STR_LITERAL} tekens)")
    else:
        raise ExpressieFout(f"waarde {value!r} is niet toegestaan in een expressie")


def _check_calls(parsed: tuple[ast.Expression, frozenset[str]], helper_names: frozenset[str]) -> None:
    unknown = sorted(parsed[1] - helper_names)
    if unknown:
        raise ExpressieFout(f"onbekende functie {unknown[0]!r}; toegestaan zijn: {', '.join(sorted(helper_names))}")


def _helper_names(names: Iterable[str] | None) -> frozenset[str]:
    if names is None:
        from app.engine.helpers import HELPER_NAMES  # late: helpers imports ExpressieFout from here
        names = HELPER_NAMES
    return frozenset(names)


# --- evaluating ---------------------------------------------------------------------------------

def evaluate(src: str, context: Mapping[str, Any], helpers: Mapping[str, Any]) -> Any:
    """Evaluate `src` against the case data `context`; calls may name the functions in `helpers`."""
    parsed = _parse(src)
    _check_calls(parsed, frozenset(helpers))
    return _Evaluator(context, helpers).visit(parsed[0].body)


class _Evaluator:
    def __init__(self, context: Mapping[str, Any], helpers: Mapping[str, Any]):
        self.context = context
        self.helpers = helpers
        self.steps = 0

    def spend(self, steps: int) -> None:
        self.steps += steps
        if self.steps > MAX_STEPS:
            raise ExpressieFout(f"expressie is te complex (meer dan {MAX_STEPS} stappen)")

    def visit(self, node: ast.AST) -> Any:
        self.spend(1)
        method = getattr(self, "visit_" + type(node).__name__, None)
        if method is None:  # _check_tree refuses these already; a second line of defence
            raise ExpressieFout(f"{type(node).__name__} is niet toegestaan in een expressie")
        try:
            return method(node)
        except ExpressieFout:
            raise
        except ZeroDivisionError:
            raise ExpressieFout("delen door nul") from None
        except KeyError as e:
            raise ExpressieFout(f"sleutel {e.args[0]!r} bestaat niet") from None
        except IndexError:
            raise ExpressieFout("index valt buiten de lijst") from None
        except (TypeError, ValueError, OverflowError) as e:
            raise ExpressieFout(f"kan dit deel niet uitrekenen: {_describe(node)} ({e})") from None

    def visit_Constant(self, node: ast.Constant) -> Any:
        return node.value

    def visit_Name(self, node: ast.Name) -> Any:
        try:
            return self.context[node.id]
        except KeyError:
            if node.id in self.helpers:
                raise ExpressieFout(f"{node.id!r} is een hulpfunctie: schrijf {node.id}(…)") from None
            raise ExpressieFout(f"onbekend gegeven {node.id!r}") from None

    def visit_List(self, node: ast.List) -> list:
        return [self.visit(e) for e in node.elts]

    def visit_Tuple(self, node: ast.Tuple) -> tuple:
        return tuple(self.visit(e) for e in node.elts)

    def visit_Dict(self, node: ast.Dict) -> dict:
        return {self.visit(k): self.visit(v) for k, v in zip(node.keys, node.values)}

    def visit_BoolOp(self, node: ast.BoolOp) -> Any:
        # Python's semantics: short-circuit, and the deciding operand is the result.
        value = None
        for operand in node.values:
            value = self.visit(operand)
            if isinstance(node.op, ast.And) and not value:
                return value
            if isinstance(node.op, ast.Or) and value:
                return value
        return value

    def visit_UnaryOp(self, node: ast.UnaryOp) -> Any:
        return _UNARYOPS[type(node.op)](self.visit(node.operand))

    def visit_BinOp(self, node: ast.BinOp) -> Any:
        left, right = self.visit(node.left), self.visit(node.right)
        _guard_binop(node.op, left, right)
        result = _BINOPS[type(node.op)](left, right)
        if isinstance(result, int) and abs(result) > MAX_INT_RESULT:
            raise ExpressieFout("uitkomst te groot")
        return result

    def visit_Compare(self, node: ast.Compare) -> bool:
        left = self.visit(node.left)
        for op, comparator in zip(node.ops, node.comparators):
            right = self.visit(comparator)
            if not _CMPOPS[type(op)](left, right):
                return False
            left = right
        return True

    def visit_IfExp(self, node: ast.IfExp) -> Any:
        return self.visit(node.body) if self.visit(node.test) else self.visit(node.orelse)

    def visit_Subscript(self, node: ast.Subscript) -> Any:
        return self.visit(node.value)[self.visit(node.slice)]

    def visit_Slice(self, node: ast.Slice) -> slice:
        return slice(*(None if part is None else self.visit(part) for part in (node.lower, node.upper, node.step)))

    def visit_Call(self, node: ast.Call) -> Any:
        name = node.func.id
        function = self.helpers[name]  # known: evaluate() checked the called names
        args = [self.visit(a) for a in node.args]
        kwargs = {k.arg: self.visit(k.value) for k in node.keywords}
        self.spend(HELPER_CALL_STEPS)
        try:
            return function(*args, **kwargs)
        except ExpressieFout:
            raise
        except TypeError as e:
            raise ExpressieFout(f"{name}(): verkeerde argumenten ({e})") from None
        except (ValueError, OverflowError) as e:
            raise ExpressieFout(f"{name}(): {e}") from None


def _guard_binop(op: ast.operator, left: Any, right: Any) -> None:
    """Refuse before computing: a result that is too big must never be built."""
    sequences = (str, list, tuple)
    if isinstance(op, ast.Mult):
        for seq, times in ((left, right), (right, left)):
            if isinstance(seq, sequences) and isinstance(times, int) and len(seq) * times > MAX_RESULT_LEN:
                raise ExpressieFout(f"uitkomst te groot (hoogstens {MAX_RESULT_LEN} tekens of elementen)")
    elif isinstance(op, ast.Add):
        if isinstance(left, sequences) and isinstance(right, sequences) and len(left) + len(right) > MAX_RESULT_LEN:
            raise ExpressieFout(f"uitkomst te groot (hoogstens {MAX_RESULT_LEN} tekens of elementen)")
    elif isinstance(op, ast.Mod):
        # 'text' % x is string formatting, whose width ('%999999999d') could build huge strings.
        if not all(isinstance(v, (int, float)) for v in (left, right)):
            raise ExpressieFout("% (rest bij deling) werkt alleen op getallen")


def _describe(node: ast.AST) -> str:
    try:
        text = ast.unparse(node)
    except Exception:  # unparse is only for the message; never let it hide the real error
        return type(node).__name__
    return text if len(text) <= 80 else text[:77] + "..."


# --- SpiffWorkflow integration ------------------------------------------------------------------

class SandboxEnvironment(BasePythonScriptEngineEnvironment):
    """Evaluates SpiffWorkflow expressions with this module; refuses scripts and service calls.

    SpiffWorkflow calls `environment.evaluate` directly for some expressions (correlation,
    completion conditions), so the sandbox has to be the environment, not only the engine.
    """

    def __init__(self, kalender: WerkdagKalender | None = None):
        super().__init__({})
        self.kalender = kalender if kalender is not None else WerkdagKalender()
        self._case_calendars: dict[tuple, WerkdagKalender] = {}

    def _kalender_for(self, scope) -> WerkdagKalender:
        """A case counts working days with the closing days it started with (its `instellingen`),
        so changing parameters.json later moves no deadline of a running case, and replay agrees."""
        settings = scope.get("instellingen")
        if not isinstance(settings, dict) or "extra_sluitingsdagen" not in settings:
            return self.kalender
        key = tuple(sorted(str(d) for d in settings["extra_sluitingsdagen"] or []))
        kalender = self._case_calendars.get(key)
        if kalender is None:
            kalender = self._case_calendars[key] = WerkdagKalender(
                extra_gesloten=[date.fromisoformat(day) for day in key])
        return kalender

    def evaluate(self, expression, context, external_context=None):
        from app.engine.helpers import make_helpers
        scope = {**(external_context or {}), **context}
        return evaluate(expression, scope, make_helpers(self._kalender_for(scope), scope))

    def execute(self, script, context, external_context=None):
        raise ExpressieFout("Scripts zijn niet toegestaan: alleen expressies (voorwaarden, timers, "
                            "deadlines) worden uitgevoerd. Haal de scripttaak of het pre/post-script uit het diagram.")

    def call_service(self, context, **kwargs):
        raise ExpressieFout("Service-aanroepen zijn niet toegestaan in deze procedures.")


class SandboxScriptEngine(PythonScriptEngine):
    """PythonScriptEngine with the sandbox, and Dutch messages kept visible in its exceptions."""

    def validate(self, expression):
        # Base class only checks Python syntax (used by DMN); check the expression language instead.
        check(expression)

    def evaluate(self, task, expression, external_context=None):
        try:
            return self.environment.evaluate(expression, task.data, external_context)
        except ExpressieFout as e:
            # The base class would wrap this as "Error evaluating expression" and hide the Dutch text.
            raise WorkflowTaskException(f"Fout in expressie {expression!r}: {e}", task=task, exception=e) from e
        except SpiffWorkflowException as e:
            e.add_note(f"Fout in expressie {expression!r}")
            raise
        except Exception as e:
            raise WorkflowTaskException(f"Fout in expressie {expression!r}", task=task, exception=e) from e

    def call_service(self, task, **kwargs):
        # The base class refers to an undefined name `script` here and would raise NameError.
        try:
            return self.environment.call_service(task.data, **kwargs)
        except ExpressieFout as e:
            raise WorkflowTaskException(str(e), task=task, exception=e) from e


def make_script_engine(kalender: WerkdagKalender | None = None) -> SandboxScriptEngine:
    """The script engine every workflow of the product runs with (set it again after each load)."""
    return SandboxScriptEngine(environment=SandboxEnvironment(kalender))
