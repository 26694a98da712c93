"""What the engine knows in each phase of a deployment, and the preview view of a captured stack.

`pulumi preview` (and the first half of `pulumi up`) sends the policy pack the program's
registrations before anything is created: a resource that is not deployed yet has no id, its
provider-computed outputs (ARNs, key ids, endpoints) are unknown, and so is every input
computed from one of those. The engine marks them with one sentinel string (`UNKNOWN`), which
pulumi_policy turns into `UnknownValueError`. Pulumi's mocks resolve everything, so a capture is
the *update* view; `preview_view` derives the *preview* view from it by these rules, the one
place they live (the plan and the policy tests both use them):

1. A custom resource whose URN is not in the deployed state is *pending*: its id and every output
   its provider computed (one that does not echo an input) are unknown. An output that echoes an
   input is whatever that input is at preview, except that an output holding an unknown anywhere
   is unknown as a whole: bridged providers plan a nested block (a set of rules, say) with one
   unknown attribute as one unknown block.
2. An input is computed from the resources its property dependencies name (the SDK records them
   for every input). A string in it that is, or contains, a value unknown on one of those
   resources is unknown: an `apply` or an interpolation over an unknown yields an unknown whole.
3. Everything else keeps its value: deployed resources (their outputs are in the state),
   components and the inputs written as literals in the program.

Rule 2 errs on one side where a provider's id equals an input (an S3 bucket's id is its name):
`bucket.bucket` is known at a real preview, `bucket.id` is not, and both carry the same value
here, so both read as unknown. An unknown never makes a finding on its own, so this can only
defer a finding to the update phase, never invent one.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from typing import Any

from pulumi.runtime.rpc import UNKNOWN
from pulumi_policy.deserialize import SPECIAL_SIG_KEY

from scripts.engine.models import CapturedResource

__all__ = ["UNKNOWN", "is_unknown", "preview_view"]

# A value shorter than this is too generic to be recognised inside a longer string ("us", "1").
MIN_EMBEDDED_LENGTH = 8


def is_unknown(value: Any) -> bool:
    """True for the engine's unknown sentinel (what pulumi_policy raises `UnknownValueError` on)."""
    return isinstance(value, str) and value == UNKNOWN


def preview_view(resources: Sequence[CapturedResource],
                 deployed: Collection[str] = frozenset()) -> list[CapturedResource]:
    """The resources as the engine sends them during a preview; `deployed` holds URNs that already exist."""
    return _PreviewView(resources, deployed).build()


class _PreviewView:
    def __init__(self, resources: Sequence[CapturedResource], deployed: Collection[str]) -> None:
        self.resources = list(resources)
        self.by_urn = {r.urn: r for r in self.resources}
        self.deployed = deployed
        self._views: dict[str, CapturedResource] = {}
        self._unknowns: dict[str, frozenset[str]] = {}
        self._visiting: set[str] = set()

    def build(self) -> list[CapturedResource]:
        return [self.view(r) for r in self.resources]

    def pending(self, r: CapturedResource) -> bool:
        return r.custom and r.urn not in self.deployed

    def view(self, r: CapturedResource) -> CapturedResource:
        """Rule 1-3 applied to one resource (memoised: dependents ask for it again)."""
        if r.urn in self._views:
            return self._views[r.urn]
        self._visiting.add(r.urn)
        inputs = {key: self._input(r, key, value) for key, value in r.inputs.items()}
        pending = self.pending(r)
        outputs: dict[str, Any] = {}
        for key, value in r.outputs.items():
            if key in r.inputs and r.inputs[key] == value:
                echoed = inputs[key]
                outputs[key] = UNKNOWN if pending and _holds_unknown(echoed) else echoed
            else:
                outputs[key] = UNKNOWN if pending else value
        view = r.model_copy(update={"inputs": inputs, "outputs": outputs, "id": UNKNOWN if pending and r.id else r.id})
        self._visiting.discard(r.urn)
        self._views[r.urn] = view
        unknown = {s for s in _unknown_strings(r.outputs, outputs) if s}
        if pending and r.id:
            unknown.add(r.id)
        self._unknowns[r.urn] = frozenset(unknown)
        return view

    def unknown_strings(self, urn: str) -> frozenset[str]:
        """Strings that are values of `urn` at update and unknown at preview."""
        if urn not in self._unknowns:
            source = self.by_urn.get(urn)
            if source is None or urn in self._visiting:  # outside the capture, or a cycle: nothing known to be unknown
                return frozenset()
            self.view(source)
        return self._unknowns[urn]

    def _input(self, r: CapturedResource, key: str, value: Any) -> Any:
        unknown: set[str] = set()
        for urn in r.property_dependencies.get(key, ()):
            unknown |= self.unknown_strings(urn)
        if not unknown:
            return value
        embedded = [u for u in unknown if len(u) >= MIN_EMBEDDED_LENGTH]
        return _mask(value, unknown, embedded)


def _mask(value: Any, unknown: Collection[str], embedded: Sequence[str]) -> Any:
    """`value` with every string that is, or contains, one of the unknown values replaced by UNKNOWN."""
    if isinstance(value, str):
        if value in unknown or any(u in value for u in embedded):
            return UNKNOWN
        return value
    if isinstance(value, Mapping):
        # A secret envelope keeps its signature; only the value inside it can be unknown.
        return {k: v if k == SPECIAL_SIG_KEY else _mask(v, unknown, embedded) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask(item, unknown, embedded) for item in value]
    return value


def _holds_unknown(value: Any) -> bool:
    if isinstance(value, Mapping):
        return any(_holds_unknown(item) for item in value.values())
    if isinstance(value, list):
        return any(_holds_unknown(item) for item in value)
    return is_unknown(value)


def _unknown_strings(update: Any, preview: Any) -> Iterator[str]:
    """The string leaves of `update` that sit at (or under) an unknown in `preview`."""
    if is_unknown(preview):
        yield from _leaves(update)
    elif isinstance(update, Mapping) and isinstance(preview, Mapping):
        for key, item in update.items():
            yield from _unknown_strings(item, preview.get(key))
    elif isinstance(update, list) and isinstance(preview, list):
        for item, seen in zip(update, preview):
            yield from _unknown_strings(item, seen)


def _leaves(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            if key != SPECIAL_SIG_KEY:
                yield from _leaves(item)
    elif isinstance(value, list):
        for item in value:
            yield from _leaves(item)
