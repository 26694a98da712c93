"""Plumbing shared by the CometChat dynamic providers and their resource classes.

Providers are pickled into the state by `dill` and unpickled by the engine's dynamic provider
host, so a provider holds no client, lock or logger: clients are built inside each method from
the call's own properties and closed before it returns. The only attribute ever set is the
client tuning from `configure()`, which runs in the host, after unpickling.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar, TypeVar

import pulumi
from pulumi import dynamic
from pydantic import BaseModel, SecretStr, ValidationError

from components.cometchat.management import ManagementClient
from components.cometchat.providers.connection import ManagementAccess
from components.cometchat.rest import AppClient
from components.cometchat.tuning import CLIENT_CONFIG_KEY, ClientTuning

M = TypeVar("M", bound=BaseModel)
# The app is gone (replaced or archived): nothing of it is left to change or delete.
# An auth failure is not "gone": it means the stored key is wrong, which the operator must see.
APP_GONE = frozenset({"ERR_APP_NOT_FOUND", "ERR_APP_ARCHIVED"})


class CometChatProvider(dynamic.ResourceProvider):
    """Base provider: client construction and config. Subclasses implement the CRUD."""

    def configure(self, req: dynamic.ConfigureRequest) -> None:
        self._tuning = ClientTuning.from_config(req.config.get(CLIENT_CONFIG_KEY))

    def tuning(self) -> ClientTuning:
        # Direct calls (no engine, no configure) get CometChat-appropriate defaults.
        return getattr(self, "_tuning", None) or ClientTuning()

    def management(self, access: ManagementAccess) -> ManagementClient:
        tuning = self.tuning()
        return ManagementClient(access.management_url, access.management_key, access.management_secret,
                                timeout=tuning.timeout_seconds, retry=tuning.retry_policy())

    def app_client(self, rest_url: str, app_id: str, region: str, api_key: str | SecretStr) -> AppClient:
        tuning = self.tuning()
        return AppClient(rest_url, app_id, region, api_key, timeout=tuning.timeout_seconds,
                         retry=tuning.retry_policy())


class ConvergingProvider(CometChatProvider):
    """A provider that owns one part of an app (its roles, its safeguards) and converges it.

    Create and update both apply the whole desired state with the subclass's
    `_apply(inputs) -> outputs`, so they differ only in what they return. The resource id is
    the app id plus `id_suffix`, so two parts of one app never share an id.
    """

    inputs_model: ClassVar[type[Any]]
    id_suffix: ClassVar[str]

    def create(self, props: dict[str, Any]) -> dynamic.CreateResult:
        inputs = parse(self.inputs_model, props)
        return dynamic.CreateResult(f"{inputs.app_id}/{self.id_suffix}", self._apply(inputs))

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> dynamic.UpdateResult:
        return dynamic.UpdateResult(self._apply(parse(self.inputs_model, news)))


class StoredPropertiesError(ValueError):
    """The properties the engine sent cannot be read (e.g. state written by an older version)."""


def _problems(exc: ValidationError) -> list[tuple[str, str]]:
    """(top-level property, "path: rule") per error; pydantic's own text would quote the values."""
    return [(str(err["loc"][0]) if err["loc"] else "(inputs)", f"{'.'.join(map(str, err['loc']))}: {err['msg']}")
            for err in exc.errors(include_input=False, include_url=False)]


def parse(model: type[M], props: Mapping[str, Any]) -> M:
    """Validate properties for a CRUD call; the error names fields and rules, never values.

    The engine prints a provider's exception text, and the properties hold every credential.
    """
    try:
        return model.model_validate(dict(props))
    except ValidationError as exc:
        problems = "; ".join(rule for _, rule in _problems(exc))
        raise StoredPropertiesError(
            f"{model.__name__} cannot be read from the properties ({problems}). Run `pulumi refresh` and "
            "`pulumi up`; if the state predates this field, re-import the resource.") from None


def check_inputs(model: type[M], news: Mapping[str, Any]) -> tuple[M | None, list[dynamic.CheckFailure]]:
    """Validate inputs for `check`: one failure per problem, naming the property and the rule."""
    try:
        return model.model_validate(dict(news)), []
    except ValidationError as exc:
        return None, [dynamic.CheckFailure(prop, rule) for prop, rule in _problems(exc)]


def changed(olds: Mapping[str, Any], news: Mapping[str, Any], keys: Iterable[str]) -> list[str]:
    """The keys whose values differ (`diff` receives old outputs and new inputs)."""
    return [key for key in keys if olds.get(key) != news.get(key)]


def camel(name: str) -> str:
    """`full_access_key` -> `fullAccessKey`; camelCase and internal (`__provider`) names unchanged."""
    if name.startswith("_") or "_" not in name:
        return name
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


class CometChatResource(dynamic.Resource):
    """Python attributes in snake_case, engine properties (state, policies) in camelCase.

    The SDK assigns each declared prop to an attribute of the same name and maps names to and
    from the engine with `translate_*_property`. It calls those for nested dict keys too, so
    only the declared top-level names are translated: a role matrix keeps `clinical_content`.
    """

    def __init__(self, provider: dynamic.ResourceProvider, name: str, props: dict[str, Any],
                 opts: pulumi.ResourceOptions | None = None) -> None:
        self._to_engine = {key: camel(key) for key in props}
        self._to_python = {engine: key for key, engine in self._to_engine.items()}
        super().__init__(provider, name, props, opts)

    def translate_input_property(self, prop: str) -> str:
        return self._to_engine.get(prop, prop)

    def translate_output_property(self, prop: str) -> str:
        return self._to_python.get(prop, prop)


def notify(message: str) -> None:
    """A message for the person running `pulumi up` (never pass secrets).

    In the provider host `pulumi.log` writes to the plugin's stderr, which the engine relays.
    """
    pulumi.log.info(message)
