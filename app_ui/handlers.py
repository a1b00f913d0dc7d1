"""The app's event handlers as plain functions: choices, validation, ask (streaming), stop,
replay. They only consume the agent's event stream; no experiment logic lives here."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import gradio as gr

from agent.events import Event
from agent.policies import Policy, make_policy, policy_names
from agent.requests import RequestError, RunSpec, run_spec
from agent.runner import new_run_dir, run
from agent.transcript import committed_events
from app_ui.render import ChatRenderer, render_events
from app_ui.runs import (
    RunPathError,
    check_owner,
    list_runs,
    new_owner,
    read_access,
    resolve_run,
    runs_root,
    write_access,
    zip_run,
)
from app_ui.settings import app_settings

try:  # Hugging Face ZeroGPU: a GPU is attached only while a decorated function runs
    import spaces

    def gpu(duration: int) -> Callable[[Callable], Callable]:
        """`spaces.GPU(duration=...)` on a ZeroGPU Space."""
        return spaces.GPU(duration=duration)

except ImportError:

    def gpu(duration: int) -> Callable[[Callable], Callable]:
        """No-op outside ZeroGPU (the `spaces` package is not installed)."""
        return lambda function: function


CLASS_PLACEHOLDER = "class X"
BIAS_QUESTION = "Is this classifier biased by the background for {class_name}?"
PRESETS: dict[str, bool] = {  # question -> whole-model question?
    "What does this unit detect?": False,
    BIAS_QUESTION.format(class_name=CLASS_PLACEHOLDER): True,
    "Which inputs make this model say 'Paris'?": True,
}
_TICK_S = 1.0  # how often the status line refreshes while a step runs
_DONE = object()

ChatOutputs = tuple[list[gr.ChatMessage], str, str | None, dict[str, Any] | None]


def model_choices() -> list[tuple[str, str]]:
    """(label, name) of every subject model that can load on this machine."""
    return [(f"{e.name} ({e.modality})", e.name) for e in _available_models()]


def _available_models() -> list[Any]:
    from models.registry import list_models

    return [e for e in list_models() if e.available()]


def layer_units(model: str) -> dict[str, int]:
    """Layer name -> unit count for `model` (loads the model once per process)."""
    from models.registry import get_model

    return {info.layer: int(info.units) for info in get_model(model).layers()}


def unit_label(units: int | None) -> str:
    """The unit-index field's label, naming the valid range."""
    return f"Unit index (0–{units - 1})" if units else "Unit index"


def on_model_change(model: str, layer: str | None = None, index: float | None = None
                    ) -> Iterator[tuple[dict[str, Any], dict[str, Any], str]]:
    """Refill the layer dropdown and the unit-index range for a newly chosen model, saying so
    while a model loads for the first time (SmolLM2 takes tens of seconds once). A layer
    already chosen that the model has (a unit opened from the Atlas tab) is kept."""
    from models.registry import entry, is_loaded

    try:
        source = entry(model).source
    except Exception:  # noqa: BLE001 (reported below, when the layers are asked for)
        source = "the hub"
    if not is_loaded(model):
        yield (gr.update(), gr.update(),
               f"Loading {model} ({source}); the first use loads it once for everyone and can "
               "take up to a minute…")
    started = time.monotonic()
    try:
        layers = layer_units(model)
    except Exception as error:  # noqa: BLE001 (shown to the user, not raised)
        yield (gr.update(choices=[], value=None), gr.update(label=unit_label(None)),
               f"Could not load {model}: {error}")
        return
    keep = layer in layers
    first = layer if keep else next(iter(layers), None)
    took = time.monotonic() - started
    note = f"{model} loaded in {took:.0f} s. " if took > 1 else ""
    yield (gr.update(choices=list(layers), value=first),
           gr.update(label=unit_label(layers.get(first) if first else None),
                     value=index if keep and index is not None else 0),
           f"{note}{len(layers)} layers; pick one and a unit.")


def on_whole_model(whole: bool) -> tuple[dict[str, Any], dict[str, Any]]:
    """A whole-model question has no layer or unit: lock those fields while it is ticked."""
    return gr.update(interactive=not whole), gr.update(interactive=not whole)


def class_choices(model: str) -> list[str]:
    """The class names of a classifier (empty for other models)."""
    from models.registry import get_model

    try:
        return list(getattr(get_model(model), "class_names", None) or [])
    except Exception:  # noqa: BLE001
        return []


def on_layer_change(model: str, layer: str | None) -> dict[str, Any]:
    """Show the valid unit-index range of the chosen layer."""
    try:
        units = layer_units(model).get(layer or "")
    except Exception:  # noqa: BLE001
        units = None
    return gr.update(label=unit_label(units))


def on_policy_change(policy: str) -> dict[str, Any]:
    """Show the endpoint, model and key fields only for the openai policy."""
    return gr.update(visible=policy == "openai")


def on_preset(question: str | None, model: str | None = None
              ) -> tuple[str, bool, dict[str, Any]]:
    """Fill the question box from a preset, tick "whole model" for model-level ones, and for
    the class preset offer the model's classes to pick X from."""
    question = question or ""
    if CLASS_PLACEHOLDER in question:
        classes = class_choices(model or "")
        return (question, True, gr.update(visible=bool(classes), choices=classes,
                                          value=None))
    return question, PRESETS.get(question, False), gr.update(visible=False)


def on_class_pick(class_name: str | None, question: str) -> str:
    """Put the picked class into the class preset's question."""
    if not class_name:
        return question
    return BIAS_QUESTION.format(class_name=class_name)


def validate_subject(model: str, layer: str | None, index: float | int | None,
                     whole_model: bool) -> str:
    """The run's subject: a unit address, or the model name for a whole-model question.

    Raises:
        ValueError: with a message for people (unknown layer, index out of range, ...).
    """
    if not model:
        raise ValueError("Choose a model first.")
    if whole_model:
        return model
    layers = layer_units(model)
    if layer not in layers:
        raise ValueError(f"Layer {layer!r} is not a layer of {model}; choose one of: "
                         f"{', '.join(layers)}.")
    units = layers[layer]
    if index is None or float(index) != int(float(index)):
        raise ValueError(f"The unit index must be a whole number from 0 to {units - 1}.")
    if not 0 <= int(index) < units:
        raise ValueError(f"Unit index {int(index)} is out of range: layer {layer!r} of {model} "
                         f"has {units} units, so the index must be from 0 to {units - 1}.")
    from models.units import format_unit

    return format_unit(model, layer, int(index))


def policy_options(policy: str, base_url: str, llm_model: str) -> dict[str, Any]:
    """JSON options for a policy from the UI fields (the environment's endpoint is the
    openai policy's default, read by agent.settings)."""
    if policy == "openai":
        options = {"base_url": (base_url or "").strip(), "model": (llm_model or "").strip()}
        return {k: v for k, v in options.items() if v}
    if policy == "local" and llm_model:
        return {"model": llm_model.strip()}
    return {}


def build_policy(name: str, options: dict[str, Any], api_key: str = "") -> Policy:
    """Build the policy with this session's typed key, if any (no environment is touched).

    A typed key goes to the typed endpoint; without one, the server's key is used only for
    the server's own endpoint (agent.settings.backbone_key_for), never for a typed URL.
    """
    return make_policy(name, options, api_key=(api_key or "").strip() or None)


@gpu(duration=600)
def run_agent(spec: RunSpec, run_dir: Path, policy: Policy, stop: threading.Event,
              secrets: tuple[str, ...]) -> Iterator[Event]:
    """The GPU-heavy part: the agent's run, yielding each event once it is in the transcript."""
    yield from run(spec, run_dir, policy=policy, stop=stop, secrets=secrets)


class RunSlots:
    """The process's run slots: a run holds one from start to its real end, so a run whose
    page was closed counts against the limit until it has actually stopped."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._semaphore = threading.BoundedSemaphore(size)

    def acquire(self, wait: float) -> bool:
        return self._semaphore.acquire(timeout=wait)

    def release(self) -> None:
        self._semaphore.release()


_SLOTS: RunSlots | None = None
_SLOTS_LOCK = threading.Lock()


def run_slots() -> RunSlots:
    """The process-wide slots, sized by WORKBENCH_CONCURRENCY."""
    global _SLOTS
    with _SLOTS_LOCK:
        if _SLOTS is None:
            _SLOTS = RunSlots(app_settings().concurrency)
        return _SLOTS


def _events_in_background(events: Iterator[Event], stop: threading.Event,
                          tick: float = _TICK_S,
                          slots: RunSlots | None = None) -> Iterator[Event | None]:
    """Drain `events` on a worker thread; yield each event, or None every `tick` seconds
    of silence so the caller can refresh a progress line. Closing the iterator stops the run;
    the worker releases its slot (if it holds one) only when the run has really ended.
    """
    inbox: queue.Queue[Any] = queue.Queue()

    def pump() -> None:
        try:
            for event in events:
                inbox.put(event)
        except BaseException as error:  # noqa: BLE001 (handed to the consumer thread)
            inbox.put(error)
        finally:
            if slots is not None:
                slots.release()
            inbox.put(_DONE)

    worker = threading.Thread(target=pump, name="agent-run", daemon=True)
    worker.start()
    try:
        while True:
            try:
                item = inbox.get(timeout=tick)
            except queue.Empty:
                yield None
                continue
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()  # a closed page or cancelled request ends the run: the agent concludes


def _progress(renderer: ChatRenderer, model: str, since: float,
              stop: threading.Event | None = None) -> str:
    """The status line while the agent works: the step, how long it has taken, and the
    progress of long work (model loading, an exemplar pass) with the time left."""
    waited = time.monotonic() - since
    work = f" · {renderer.progress}" if renderer.progress else ""
    if stop is not None and stop.is_set():
        return (f"Stopping: the agent concludes with what it has… ({renderer.status or 'starting'}"
                f", {waited:.0f} s){work}")
    if not renderer.messages:
        return (f"Loading {model} and preparing the run… {waited:.0f} s{work or ' (the first use '}"
                f"{'' if work else 'of a model loads it once for everyone)'}")
    if renderer.pending:
        return f"{renderer.status}… {waited:.0f} s{work}"
    return f"{renderer.status}…{work}"


def ask(model: str, layer: str | None, unit_index: float | None, whole_model: bool,
        question: str, policy: str = "systematic", base_url: str = "", llm_model: str = "",
        api_key: str = "", max_rounds: float = 6, max_tool_calls: float = 40,
        max_seconds: float = 900, session: dict[str, Any] | None = None,
        owner: str | None = None, share: bool = False) -> Iterator[ChatOutputs]:
    """Start a run and stream it into the chat.

    Args:
        owner: the browser session's owner id (its runs are private to it).
        share: put the run in the shared gallery, visible to every session.

    Yields:
        (chat messages, status line, zip of the run or None, final answer or None).
    """
    session = session if session is not None else {}
    owner = session_owner(owner, session)
    try:
        if not (question or "").strip():
            raise ValueError("Type a question or pick a preset.")
        subject = validate_subject(model, layer, unit_index, whole_model)
        spec = run_spec(question=question, subject=subject, policy=policy,
                        corpus=app_settings().corpus,
                        policy_options=policy_options(policy, base_url, llm_model),
                        max_rounds=_whole(max_rounds, "rounds"),
                        max_tool_calls=_whole(max_tool_calls, "tool calls"),
                        max_seconds=float(max_seconds))
        if spec.policy not in policy_names():
            raise ValueError(f"Unknown policy {policy!r}; choose one of {policy_names()}.")
        agent_policy = build_policy(spec.policy, spec.policy_options, api_key)
    except (ValueError, TypeError, RequestError) as error:
        yield [], f"Error: {error}", None, None
        return
    except Exception as error:  # noqa: BLE001 (a bad request is a message, not a crash)
        yield [], f"Error: {type(error).__name__}: {error}", None, None
        return
    slots = run_slots()
    if not slots.acquire(app_settings().slot_wait):
        busy = f"Busy: all {slots.size} run slots are in use. Try again in a minute."
        yield [], busy, None, None
        return
    run_dir = new_run_dir(runs_root(), subject)
    write_access(run_dir, owner, share)
    stop = threading.Event()
    session.update(stop=stop, run_dir=str(run_dir), owner=owner)
    renderer = ChatRenderer(run_dir)
    events = run_agent(spec, run_dir, agent_policy, stop, agent_policy.secrets())
    since = time.monotonic()
    try:
        for event in _events_in_background(events, stop, slots=slots):
            if event is None:
                yield renderer.messages, _progress(renderer, model, since, stop), None, None
                continue
            renderer.feed(event)
            since = time.monotonic()
            yield renderer.messages, _progress(renderer, model, since, stop), None, None
    except Exception as error:  # noqa: BLE001 (the run failed outside the agent's own guard)
        renderer.status = f"Error: the run failed: {type(error).__name__}: {error}"
    yield (renderer.messages, f"{renderer.status} · transcript `{run_dir.name}`",
           str(zip_run(run_dir)), renderer.final)


def _whole(value: Any, what: str) -> int:
    """A whole number from a form field, or a ValueError that says so."""
    number = float(value)
    if number != int(number):
        raise ValueError(f"The number of {what} must be a whole number, got {value}.")
    return int(number)


#: Units whose exemplar caches are built when the app starts (the README's examples).
WARM_UNITS = ("efficientnet_lite0:blocks.4:17", "smollm2-135m-instruct:model.layers.12.mlp:300")


def warm_up(units: tuple[str, ...] = WARM_UNITS) -> threading.Thread:
    """Load the offline models and build their example units' exemplar caches in the
    background (each at most once per machine: the caches persist on disk)."""

    def work() -> None:
        from models.exemplars import exemplars

        for unit in units:
            try:
                exemplars(unit, k=8, corpus=app_settings().corpus)
            except Exception:  # noqa: BLE001 (a model that cannot load here is skipped)
                continue

    thread = threading.Thread(target=work, name="warm-up", daemon=True)
    thread.start()
    return thread


def stop_run(session: dict[str, Any] | None) -> str:
    """Ask the session's current run to stop; the agent concludes with what it has."""
    stop = (session or {}).get("stop")
    if stop is None:
        return "No run to stop."
    stop.set()
    return "Stopping: the agent concludes with what it has…"


def session_owner(owner: str | None, session: dict[str, Any] | None) -> str:
    """The session's owner id: the browser's (kept across reloads), else one made for this
    session (API clients), remembered in the session."""
    session = session if session is not None else {}
    found = check_owner(owner) or check_owner(session.get("owner")) or new_owner()
    session["owner"] = found
    return found


def ensure_owner(owner: str | None) -> str:
    """This browser's owner id: the one it keeps, or a fresh one on its first visit."""
    return check_owner(owner) or new_owner()


def recorded_runs(owner: str | None = None, session: dict[str, Any] | None = None
                  ) -> list[str]:
    """Names of the runs this session may see (its own and shared ones), newest first."""
    return list_runs(owner=session_owner(owner, session))


def refresh_runs(owner: str | None = None, session: dict[str, Any] | None = None
                 ) -> dict[str, Any]:
    """The runs for the Transcripts tab's dropdown, newest first."""
    runs = recorded_runs(owner, session)
    return gr.update(choices=runs, value=runs[0] if runs else None)


def set_shared(run_name: str, shared: bool, owner: str | None = None,
               session: dict[str, Any] | None = None) -> str:
    """Share one of this session's runs in the gallery, or take it back."""
    try:
        run_dir = resolve_run(run_name, owner=session_owner(owner, session),
                              require_owner=True)
    except RunPathError as error:
        return f"Error: {error}"
    write_access(run_dir, read_access(run_dir)["owner"], shared)
    return f"`{run_dir.name}` is {'shared in the gallery' if shared else 'private again'}."


def replay(run_name: str, owner: str | None = None,
           session: dict[str, Any] | None = None) -> ChatOutputs:
    """Render a recorded run (this session's, or a shared one) from its event log only.

    Returns:
        (chat messages, status line, zip of the run or None, final answer or None).
    """
    try:
        run_dir = resolve_run(run_name, owner=session_owner(owner, session))
    except RunPathError as error:
        return [], f"Error: {error}", None, None
    renderer = render_events(committed_events(run_dir), run_dir)
    return (renderer.messages, f"Replay of `{run_dir.name}`: {renderer.status}",
            str(zip_run(run_dir)), renderer.final)
