#!/usr/bin/env python3
"""Rules of nvcc (its extended device lambdas, its kernels, its parser) that g++ does not enforce,
checked on the sources so that a CPU-only CI keeps every translation unit compilable for CUDA:

  1. no KOKKOS_LAMBDA in a private or protected member function (nvcc refuses the enclosing function's
     access at the template's definition);
  2. no KOKKOS_LAMBDA whose capture is first used inside an `if constexpr` (nvcc captures what the
     lambda's body names before discarding branches; a capture first named in a discarded branch is
     an error);
  3. no kernel functor type (a struct with a KOKKOS function operator()) declared in a private or
     protected section (the code nvcc generates for the kernel cannot name it);
  4. no `if constexpr` branch without braces inside a generic lambda (nvcc 13 misparses
     `if constexpr (c) return; else ...` and `if constexpr (c) for (...) { ... }` there).

    nvcc_rules.py [--self-test] DIR...

Rule 2 is a heuristic: the captures it knows are the local variables declared earlier in the enclosing
function (`auto x = ...`, `Kokkos::View<...> x(...)`, `const T x = ...`, ...). It prints file:line for
each finding and exits 1; --self-test first checks that each rule finds its example.
"""
import pathlib
import re
import sys

ACCESS = re.compile(r"^\s*(private|protected|public)\s*:")
CLASS_HEAD = re.compile(r"\b(class|struct)\s+\w[\w:<>, ]*[^;]*$")
LOCAL_DECL = re.compile(
    r"(?:\bauto|\bconst\s+auto|\bconst\s+\w[\w:<>, \*]*|\bKokkos::View<[^;{}]*>|\b[A-Z]\w*(?:<[^;{}]*>)?|\bint|\bdouble|\bfloat|\bbool|\blong)"
    r"\s*[&*]?\s+(\w+)\s*(?:=|\(|\{)")


def strip(text):
    """The text with comments and string literals blanked (same length, newlines kept)."""
    out, i, n = [], 0, len(text)
    while i < n:
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append("".join(c if c == "\n" else " " for c in text[i:j]))
            i = j
        elif text[i] == '"' and not re.match(r"R\"", text[max(0, i - 1):i + 1]):
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append('""' + " " * (min(j, n - 1) - i - 1))
            i = j + 1
        elif text[i] == "'" and i + 2 < n and (text[i + 2] == "'" or text[i + 1] == "\\"):
            j = text.find("'", i + 1 + (text[i + 1] == "\\"))
            out.append(" " * (j + 1 - i))
            i = j + 1
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def matching(text, open_at, opening="{", closing="}"):
    """The index of the bracket that closes the one at open_at (len(text) if none does)."""
    depth = 0
    for k in range(open_at, len(text)):
        if text[k] == opening:
            depth += 1
        elif text[k] == closing:
            depth -= 1
            if depth == 0:
                return k
    return len(text)


def class_scopes(lines):
    """Walks the lines, yielding (number, line, stack) with stack the access of each enclosing scope,
    innermost last (None for a scope that is not a class body), the line's own access label applied;
    the line's braces are applied after the yield. After the last line the stack is the final one."""
    stack, pending_class = [], False
    for number, line in enumerate(lines, 1):
        m = ACCESS.match(line)
        if m and stack and stack[-1] is not None:
            stack[-1] = m.group(1)
        yield number, line, stack
        if CLASS_HEAD.search(line) and "{" not in line and not line.rstrip().endswith(";"):
            pending_class = True
        for ch in line:
            if ch == "{":
                is_class = pending_class or bool(CLASS_HEAD.search(line))
                stack.append(("private" if re.search(r"\bclass\b", line) else "public") if is_class else None)
                pending_class = False
            elif ch == "}" and stack:
                stack.pop()


def private_lambdas(text):
    """Line numbers of KOKKOS_LAMBDA inside a private/protected section of a class body."""
    return [number for number, line, stack in class_scopes(text.splitlines())
            if "KOKKOS_LAMBDA" in line and any(a in ("private", "protected") for a in stack if a is not None)]


def private_functors(text):
    """Line numbers of functor types (a KOKKOS function operator()) declared in a private or protected
    section: nvcc's generated code cannot name a private member type a kernel is instantiated with."""
    hits = []
    for m in re.finditer(r"\b(struct|class)\s+(\w+)[^;{()]*\{", text):
        end = matching(text, m.end() - 1)
        body = text[m.end():end]
        if "operator()" not in body or not re.search(r"KOKKOS_(INLINE_)?FUNCTION", body):
            continue
        line = text.count("\n", 0, m.start()) + 1
        if access_at(text, m.start()) in ("private", "protected"):
            hits.append(line)
    return hits


def access_at(text, pos):
    """The access of the innermost class scope at pos (None outside a class)."""
    stack = []
    for _, _, stack in class_scopes(text[:pos].splitlines(keepends=True) + [""]):
        pass
    for a in reversed(stack):
        if a is not None:
            return a
    return None


def unbraced_constexpr_in_generic_lambda(text):
    """Line numbers of an `if constexpr (...)` whose branch is not a braced block, inside a generic
    lambda (one with an `auto` parameter): nvcc 13's front end then loses track of the braces that follow
    ("expected a }"), as in `if constexpr (c) return; else ...` or `if constexpr (c) for (...) { ... }`."""
    hits = set()
    for m in re.finditer(r"\[[^\[\]]*\]\s*\(", text):
        close = matching(text, m.end() - 1, "(", ")")
        if not re.search(r"\bauto\b", text[m.end():close]):
            continue
        head = re.match(r"\s*(?:mutable\s*)?(?:->\s*[^{;]*)?\{", text[close + 1:])
        if not head:
            continue
        body_start = close + head.end()
        body = text[body_start:matching(text, body_start)]
        for c in re.finditer(r"if\s+constexpr\s*\(", body):
            end = matching(body, c.end() - 1, "(", ")")
            if not body[end + 1:].lstrip().startswith("{"):
                hits.add(text.count("\n", 0, body_start + c.start()) + 1)
    return sorted(hits)


def constexpr_first_captures(text):
    """(line, name): a local of the enclosing scope first named inside an `if constexpr` of a KOKKOS_LAMBDA."""
    hits = []
    for m in re.finditer(r"KOKKOS_LAMBDA\s*\(([^)]*)\)\s*(?:->\s*[\w:<>]+\s*)?\{", text):
        params = set(re.findall(r"(\w+)\s*(?:,|$)", m.group(1)))
        body_start = m.end() - 1
        body_end = matching(text, body_start)
        body = text[body_start:body_end]
        if "if constexpr" not in body:
            continue
        branches = []
        for c in re.finditer(r"if\s+constexpr\s*\(", body):
            brace = body.find("{", c.end())
            if brace < 0:
                continue
            end = matching(body, brace)
            # an `else { ... }` after it belongs to the same discarded-branch rule
            rest = re.match(r"\s*else\s*\{", body[end + 1:])
            if rest:
                end = matching(body, end + 1 + rest.end() - 1)
            branches.append((c.start(), end))
        before = text[max(0, text.rfind("\n\n\n", 0, m.start())):m.start()]
        locals_ = set(LOCAL_DECL.findall(before[-6000:]))
        declared_inside = set(LOCAL_DECL.findall(body))
        for name in sorted(locals_ - declared_inside - params):
            uses = [u.start() for u in re.finditer(r"(?<![\w.:>])" + re.escape(name) + r"\b", body)]
            if uses and any(a <= uses[0] < b for a, b in branches):
                hits.append((text.count("\n", 0, body_start + uses[0]) + 1, name))
    return hits


def check(paths):
    findings = []
    for root in paths:
        for f in sorted(pathlib.Path(root).rglob("*")):
            if f.suffix not in (".hpp", ".cpp", ".h") or not f.is_file():
                continue
            text = strip(f.read_text(errors="replace"))
            for n in unbraced_constexpr_in_generic_lambda(text):
                findings.append(f"{f}:{n}: an `if constexpr` branch without braces in a generic lambda (nvcc misparses it)")
            if "KOKKOS_LAMBDA" not in text and "KOKKOS_INLINE_FUNCTION" not in text:
                continue
            for n in private_lambdas(text):
                findings.append(f"{f}:{n}: KOKKOS_LAMBDA in a private or protected member function")
            for n in private_functors(text):
                findings.append(f"{f}:{n}: a kernel functor type in a private or protected section")
            for n, name in constexpr_first_captures(text):
                findings.append(f"{f}:{n}: '{name}' is captured by a KOKKOS_LAMBDA but first used inside `if constexpr`")
    return findings


SELF_TEST_PRIVATE = """
struct Stage {
  class Impl {
   public:
    int forward() { return go(); }
   private:
    int go() { Kokkos::parallel_for(1, KOKKOS_LAMBDA(int i) { (void)i; }); return 0; }
  };
};
"""
SELF_TEST_CONSTEXPR = """
template <class S> void run(int n) {
  Kokkos::View<double*> x("x", n);
  Kokkos::parallel_for(n, KOKKOS_LAMBDA(int i) {
    if constexpr (is_dual_v<S>) {
      x(i) = 1;
    } else {
      x(i) = 2;
    }
  });
}
"""
SELF_TEST_FUNCTOR = """
template <class T> class Impl {
 public:
  void go();
 private:
  struct Masses {
    KOKKOS_INLINE_FUNCTION T operator()(int i) const { return T(i); }
  };
};
"""
SELF_TEST_RETURN_ELSE = """
auto one = [&](auto* tag) {
  if constexpr (Traits<S>::has_server) return;
  else
    for (int n : {1, 2}) run(n);
};
"""
SELF_TEST_FOR = """
auto rows_of = [&](auto s) {
  rows.push_back(s);
  if constexpr (compressible<decltype(s)>)
    for (int f : {1, 2}) {
      rows.push_back(f);
    }
};
"""
SELF_TEST_FINE = """
class Ok {
 public:
  void go(int n) {
    Kokkos::View<double*> x("x", n);
    Kokkos::parallel_for(n, KOKKOS_LAMBDA(int i) {
      double& v = x(i);
      if constexpr (true) { v = 1; }
    });
  }
 private:
  int m_ = 0;
};
"""


def self_test():
    ok = private_lambdas(strip(SELF_TEST_PRIVATE)) == [7]
    ok &= [name for _, name in constexpr_first_captures(strip(SELF_TEST_CONSTEXPR))] == ["x"]
    ok &= private_functors(strip(SELF_TEST_FUNCTOR)) == [6]
    ok &= unbraced_constexpr_in_generic_lambda(strip(SELF_TEST_RETURN_ELSE)) == [3]
    ok &= unbraced_constexpr_in_generic_lambda(strip(SELF_TEST_FOR)) == [4]
    ok &= not unbraced_constexpr_in_generic_lambda(strip(SELF_TEST_FINE))
    ok &= not private_lambdas(strip(SELF_TEST_FINE)) and not constexpr_first_captures(strip(SELF_TEST_FINE))
    return ok


def main():
    args = sys.argv[1:]
    if args and args[0] == "--self-test":
        args = args[1:]
        if not self_test():
            print("FAIL: the rules no longer find their own examples")
            return 1
        print("self-test: every rule finds its example, and passes a correct class")
    findings = check(args)
    for f in findings:
        print(f)
    print(f"{len(findings)} finding(s) in {', '.join(args)}")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
