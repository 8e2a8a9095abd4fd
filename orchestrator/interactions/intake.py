"""Turning a create request into the interaction row to store, after checking what it refers to.

Everything that can refuse a request before anything is stored happens here: the input is parsed
into steps, `previous_interaction_id` must name a finished interaction of the same tenant, every
`function_result` must answer a call that interaction left pending, and the target is resolved
(a model name through the gateway, or an agent and its environment through the `AgentRunner`).
"""

from __future__ import annotations

from typing import Any

from orchestrator.channel.approval_step import is_approval_call
from orchestrator.egress.policy import Resolver
from orchestrator.errors import FailedPrecondition, InvalidArgument, NotFound
from orchestrator.gateway.errors import UnknownProviderError
from orchestrator.gateway.registry import ProviderRegistry
from orchestrator.interactions.approvals import parse_decision
from orchestrator.interactions.finish import InteractionEvents
from orchestrator.interactions.history import split_input
from orchestrator.interactions.model_form import model_request
from orchestrator.interactions.model_settings import check_supported
from orchestrator.interactions.ports import AgentRunner, PreparedAgent
from orchestrator.interactions.refusals import ModelBuiltins, refuse_unsupported
from orchestrator.interactions.snapshot import TERMINAL
from orchestrator.interactions.step_reads import all_steps
from orchestrator.store import Store
from orchestrator.store.interactions import InteractionCreate, InteractionRecord

__all__ = ["Intake"]

Step = dict[str, Any]


class Intake:
    """Checks a create request against the store and resolves its model or agent."""

    def __init__(
        self,
        store: Store,
        gateway: ProviderRegistry,
        agent_runner: AgentRunner | None,
        builtins: ModelBuiltins | None = None,
        events: InteractionEvents | None = None,
        mcp: Resolver | None = None,
    ) -> None:
        self._store = store
        self._mcp = mcp
        self._events = events
        self._gateway = gateway
        self._agent_runner = agent_runner
        self._builtins = builtins or ModelBuiltins()

    async def accept(
        self, tenant: str, request: dict[str, Any], api_key_id: str | None
    ) -> tuple[InteractionCreate, PreparedAgent | None]:
        """The row and input steps to store for `request`, and for an agent what `prepare` decided.

        Raises:
            InvalidArgument: a field Warren does not carry out (`refusals`), a bad reference, an
                unknown model, or no sandbox backend for an agent.
            NotFound: `previous_interaction_id` names no stored interaction of this tenant.
        """
        refuse_unsupported(request, self._builtins, self._mcp)
        if request.get("webhook_config"):
            if self._events is None:
                raise InvalidArgument("this server delivers no webhooks", field="webhook_config")
            self._events.check_targets(request["webhook_config"])
        replayed, steps = split_input(request.get("input"))
        previous = await self._previous(tenant, request.get("previous_interaction_id"))
        settles = None
        if previous is not None and await self._check_results(tenant, previous, steps, offset=len(replayed)):
            settles = previous.id  # stored once with the create (`store/approval_answers.py`)
        environment_id = previous.environment_id if previous else None
        prepared = None
        if request.get("model"):
            try:
                provider = self._gateway.resolve(request["model"])
            except UnknownProviderError as exc:
                raise InvalidArgument(str(exc), field="model") from exc
            check_supported(provider, model_request(request, []), request)  # settings it cannot honour
        else:
            if self._agent_runner is None:
                raise InvalidArgument(
                    "agent interactions need a sandbox backend; this server has none", field="agent"
                )
            prepared = await self._agent_runner.prepare(tenant, request, environment_id)
            environment_id = prepared.environment_id
        row = InteractionCreate(
            request=request,
            agent=request.get("agent"),
            model=request.get("model"),
            environment_id=environment_id,
            previous_interaction_id=request.get("previous_interaction_id"),
            api_key_id=api_key_id,
            steps=steps,
            settles=settles,
        )
        return row, prepared

    async def _previous(self, tenant: str, previous_id: str | None) -> InteractionRecord | None:
        if not previous_id:
            return None
        previous = await self._store.interactions.get(tenant, previous_id)
        if previous is None or previous.request.get("store") is False:  # `store: false`: never continued
            raise NotFound(f"no interaction {previous_id!r}", field="previous_interaction_id")
        if previous.status not in TERMINAL:
            raise InvalidArgument(
                f"interaction {previous_id!r} is still {previous.status}", field="previous_interaction_id"
            )
        return previous

    async def _check_results(
        self, tenant: str, previous: InteractionRecord, steps: list[Step], offset: int
    ) -> bool:
        """Every `function_result` must answer a call the previous interaction left pending, and an
        approval request's answer must have the shape `approvals.parse_decision` reads; a paused
        interaction whose approval another continuation settled cannot be continued again.

        Returns whether this create settles the previous interaction's approval: its create then
        records that in the store, which refuses a second one that passed this read at the same time.
        """
        pending, approvals = set(), set()
        if previous.status == "requires_action":
            answered = set()
            for step in await all_steps(self._store, tenant, previous.id):
                if step.get("type") == "function_call":
                    pending.add(step["id"])
                    if is_approval_call(step):
                        approvals.add(step["id"])
                elif step.get("type") == "function_result":
                    answered.add(step.get("call_id"))
            pending -= answered
        settles = bool(approvals & pending)
        if settles and previous.environment_id is not None:
            taken = await self._store.interactions.continuation(tenant, previous.environment_id, previous.id)
            if taken is not None:  # its approval was settled there: a second answer would run it twice
                raise FailedPrecondition(
                    f"interaction {previous.id!r} waited on an approval that {taken!r} already settled;"
                    f" continue {taken!r} instead",
                    field="previous_interaction_id",
                )
        for index, step in enumerate(steps):
            if step.get("type") != "function_result":
                continue
            if step.get("call_id") not in pending:
                raise InvalidArgument(
                    f"no pending function call {step.get('call_id')!r} in interaction {previous.id!r}",
                    field=f"input[{offset + index}].call_id",
                )
            if step["call_id"] in approvals:
                try:
                    parse_decision(step.get("result"))
                except ValueError as exc:
                    raise InvalidArgument(str(exc), field=f"input[{offset + index}].result") from exc
        return settles
