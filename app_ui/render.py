"""Turn a run's event stream into chat messages: hypotheses as collapsible steps, tool calls
nested under them with their images and plots, the final answer as a card."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import gradio as gr

from agent.events import Event
from app_ui.runs import resolve_artifact

_MAX_ARG_CHARS = 300


def _hypothesis_id(hypothesis: str) -> str:
    return f"hyp-{hypothesis}"


def _experiment_id(experiment: str) -> str:
    return f"exp-{experiment}"


def _figure_id(experiment: str) -> str:
    return f"fig-{experiment}"


def _confidence(value: Any) -> float:
    try:
        return float(value or 0.0)
    except (TypeError, ValueError):
        return 0.0


def final_card(data: dict[str, Any]) -> str:
    """The final answer as Markdown: label, confidence, description, evidence, stop reason."""
    lines = [
        f"### Answer: {data.get('label', '?')}",
        f"**Confidence:** {_confidence(data.get('confidence')):.2f}",
        "",
        str(data.get("description", "")),
    ]
    evidence = data.get("evidence") or []
    if evidence:
        lines += ["", "**Evidence**"]
        for item in evidence:
            if isinstance(item, dict):
                numbers = item.get("numbers")
                tail = f" — `{json.dumps(numbers)[:200]}`" if numbers else ""
                lines.append(f"- {item.get('experiment', '')}: {item.get('finding', '')}{tail}")
            else:
                lines.append(f"- {item}")
    if data.get("stop_reason"):
        lines += ["", f"*Stopped because:* {data['stop_reason']}"]
    return "\n".join(lines)


class ChatRenderer:
    """Accumulates chat messages from events; the same code renders live runs and replays.

    Attributes:
        run_dir: the run folder; artifacts are shown only from inside it.
        messages: the chat so far (`gr.ChatMessage` objects, updated in place).
        status: a one-line status for the status bar.
        final: the final answer's data once it has arrived.
        pending: the experiment id of the tool call in flight, if any.
    """

    def __init__(self, run_dir: Path | str) -> None:
        self.run_dir = Path(run_dir)
        self.messages: list[gr.ChatMessage] = []
        self.status = ""
        self.final: dict[str, Any] | None = None
        self.pending: str | None = None
        self.stopped = False
        self._by_id: dict[str, gr.ChatMessage] = {}
        self._current_hypothesis: str | None = None

    def _add(self, message: gr.ChatMessage) -> gr.ChatMessage:
        self.messages.append(message)
        if message.metadata.get("id"):
            self._by_id[str(message.metadata["id"])] = message
        return message

    def _images(self, artifacts: list[dict[str, Any]]) -> list[Any]:
        """Chat content for artifacts: a gallery of stimuli, each plot full width."""
        images: list[tuple[str, str]] = []
        content: list[Any] = []
        for artifact in artifacts:
            found = resolve_artifact(self.run_dir, str(artifact.get("path", "")))
            title = str(artifact.get("title") or "")
            if found is None:
                content.append(f"*(missing artifact: {title or artifact.get('path')})*")
            elif artifact.get("kind") == "image":
                images.append((str(found), title))
            else:
                content.append({"path": str(found), "alt_text": title})
        if images:
            gallery = gr.Gallery(value=images, columns=min(len(images), 4), height="auto",
                                 show_label=False, object_fit="contain", allow_preview=True)
            content.insert(0, gallery)
        return content

    def feed(self, event: Event) -> None:
        """Update the chat with one event."""
        handler = getattr(self, f"_on_{event.type}", None)
        if handler is not None:
            handler(event.data)

    def _on_run_started(self, d: dict[str, Any]) -> None:
        self._add(gr.ChatMessage(role="user", content=(
            f"**{d.get('question', '')}**\n\n{d.get('subject_kind', 'unit')} "
            f"`{d.get('subject', '')}` ({d.get('modality', '')}), policy "
            f"`{d.get('policy', '')}`")))
        self.status = f"Run started on {d.get('subject')}"

    def _on_run_resumed(self, d: dict[str, Any]) -> None:
        self._add(gr.ChatMessage(content="*Run resumed from its checkpoint.*"))

    def _on_round_started(self, d: dict[str, Any]) -> None:
        self.status = f"Round {d.get('round')}"

    def _on_hypothesis_proposed(self, d: dict[str, Any]) -> None:
        hid = str(d.get("id"))
        self._current_hypothesis = hid
        message = self._by_id.get(_hypothesis_id(hid))
        if message is None:
            message = self._add(gr.ChatMessage(content="", metadata={
                "title": f"Hypothesis {hid}: {d.get('statement', '')}",
                "id": _hypothesis_id(hid), "status": "pending"}))
        message.content = (f"**{d.get('statement', '')}**\n\nproposed in round "
                           f"{d.get('round', '?')}, prior confidence "
                           f"{_confidence(d.get('confidence')):.2f}")

    def _on_hypothesis_revised(self, d: dict[str, Any]) -> None:
        hid = str(d.get("id"))
        message = self._by_id.get(_hypothesis_id(hid))
        if message is None:
            self._on_hypothesis_proposed(d)
            message = self._by_id[_hypothesis_id(hid)]
        status = str(d.get("status", "open"))
        confidence = _confidence(d.get("confidence"))
        message.metadata["log"] = f"{status}, {confidence:.2f}"
        if status != "open":
            message.metadata["status"] = "done"
        message.content = (f"{message.content}\n\nrevised: **{status}**, confidence "
                           f"{confidence:.2f}")

    def _on_tool_called(self, d: dict[str, Any]) -> None:
        experiment = str(d.get("experiment"))
        hypotheses = [str(h) for h in d.get("hypotheses") or []]
        parent = hypotheses[0] if hypotheses else self._current_hypothesis
        arguments = json.dumps(d.get("arguments", {}))
        lines = [f"`{d.get('tool')}({arguments[:_MAX_ARG_CHARS]})`"]
        if d.get("rationale"):
            lines.append(f"*why:* {d['rationale']}")
        if len(hypotheses) > 1:
            lines.append(f"*tests:* {', '.join(hypotheses)}")
        metadata: dict[str, Any] = {"title": f"{experiment} · {d.get('tool')}",
                                    "id": _experiment_id(experiment), "status": "pending"}
        if parent and _hypothesis_id(parent) in self._by_id:
            metadata["parent_id"] = _hypothesis_id(parent)
        self._add(gr.ChatMessage(content="\n\n".join(lines), metadata=metadata))
        self.pending = experiment
        self.status = f"Running {experiment}: {d.get('tool')}"

    def _on_observation(self, d: dict[str, Any]) -> None:
        experiment = str(d.get("experiment"))
        message = self._by_id.get(_experiment_id(experiment))
        if message is None:
            self._on_tool_called({"experiment": experiment, "tool": d.get("tool")})
            message = self._by_id[_experiment_id(experiment)]
        call = message.content if isinstance(message.content, str) else ""
        summary = d.get("summary", "")
        if d.get("error"):
            summary = f"**error:** {d['error']}"
        message.content = f"{call}\n\n{summary}"
        figures = self._images(d.get("artifacts") or [])
        if figures:
            # Gradio 6 loads the image and gallery components only for top-level messages and
            # shows one content item per nested message, so a step's figures follow it at the
            # top level, captioned with the experiment, rather than inside its accordion.
            caption = f"**{experiment}** · {d.get('tool')}"
            self._add(gr.ChatMessage(content=[caption, *figures],
                                     metadata={"id": _figure_id(experiment)}))
        message.metadata["status"] = "done"
        message.metadata["duration"] = round(_confidence(d.get("duration_s")), 2)
        self.pending = None

    def _on_llm_call(self, d: dict[str, Any]) -> None:
        usage = d.get("usage") or {}
        metadata: dict[str, Any] = {
            "title": f"LLM call: {d.get('purpose', '')}", "status": "done",
            "duration": round(_confidence(d.get("duration_s")), 2),
            "log": f"{usage.get('prompt_tokens', '?')} + {usage.get('completion_tokens', '?')} "
                   "tokens"}
        if self._current_hypothesis:
            metadata["parent_id"] = _hypothesis_id(self._current_hypothesis)
        reply = d.get("reply")
        self._add(gr.ChatMessage(content=str(reply)[:2000] if reply else "(no reply text)",
                                 metadata=metadata))

    def _on_error(self, d: dict[str, Any]) -> None:
        self._add(gr.ChatMessage(content=str(d.get("message", "")), metadata={
            "title": f"Error in {d.get('step', '?')}", "status": "done"}))

    def _on_budget_exhausted(self, d: dict[str, Any]) -> None:
        reason = str(d.get("reason") or d.get("budget") or "")
        if not reason.lower().startswith("budget"):
            reason = f"Budget exhausted: {reason}"
        self._add(gr.ChatMessage(content=reason[:1].upper() + reason[1:]))

    def _on_final_answer(self, d: dict[str, Any]) -> None:
        self.final = d
        for message in self.messages:  # nothing is still running once the agent concludes
            if message.metadata.get("status") == "pending":
                message.metadata["status"] = "done"
        self._add(gr.ChatMessage(content=final_card(d)))
        self.pending = None
        self.status = (f"Answer: {d.get('label')} (confidence "
                       f"{_confidence(d.get('confidence')):.2f})")

    def _on_run_stopped(self, d: dict[str, Any]) -> None:
        self.stopped = True
        self._add(gr.ChatMessage(content=f"Run stopped: {d.get('reason', 'stopped by the user')}"))

    def _on_run_finished(self, d: dict[str, Any]) -> None:
        verdict = "finished" if d.get("ok") else "ended without an answer"
        if self.stopped:
            verdict = "stopped"
        self.status = f"Run {verdict}. {self.status if self.final else ''}".strip()


def render_events(events: list[Event] | Any, run_dir: Path | str) -> ChatRenderer:
    """Render a whole recorded event stream (a replay) into a ChatRenderer."""
    renderer = ChatRenderer(run_dir)
    for event in events:
        renderer.feed(event)
    return renderer


def step_files(messages: list[gr.ChatMessage], experiment: str) -> list[str]:
    """The image and plot files shown for an experiment (such as "E1")."""
    return [path for message in messages
            if message.metadata.get("id") == _figure_id(experiment)
            for path in message_files(message)]


def message_files(message: gr.ChatMessage) -> list[str]:
    """The file paths one message shows (gallery images and plots)."""
    content = message.content if isinstance(message.content, list) else [message.content]
    paths: list[str] = []
    for item in content:
        if isinstance(item, dict) and "path" in item:
            paths.append(str(item["path"]))
        elif isinstance(item, gr.Gallery):
            for entry in item.constructor_args.get("value") or []:
                paths.append(str(entry[0] if isinstance(entry, tuple | list) else entry))
    return paths
