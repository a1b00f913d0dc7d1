"""Turn a run's event stream into chat messages: hypotheses as collapsible steps, tool calls
nested under them with their images and plots, the final answer as a card."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import gradio as gr

from agent.events import Event
from app_ui.runs import resolve_artifact
from tools.registry import get_tool, parse_result

_MAX_ARG_CHARS = 300
#: Height of one row of a gallery of stimuli (a 4-wide row in the chat's width, with caption).
GALLERY_ROW_PX = 190


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


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3g}"
    if isinstance(value, list | tuple):
        return ", ".join(_cell(v) for v in value[:6])
    return str(value).replace("|", "/").replace("\n", " ")[:80]


def _flatten(numbers: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in numbers.items():
        name = f"{prefix}{key}".replace("_", " ")
        if isinstance(value, dict):
            flat.update(_flatten(value, name + ", "))
        else:
            flat[name] = value
    return flat


def markdown_table(rows: list[dict[str, Any]]) -> str:
    """Rows of numbers as a small Markdown table (numbers shown, never a raw dict)."""
    if not rows:
        return ""
    columns = list(dict.fromkeys(k for row in rows for k in row))
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(_cell(row.get(c, "")) for c in columns) + " |" for row in rows]
    return "\n".join(lines)


def numbers_table(numbers: dict[str, Any]) -> str:
    """A dict of numbers (nested or not) as a two-column table."""
    flat = _flatten(numbers)
    return markdown_table([{"measure": k, "value": v} for k, v in list(flat.items())[:12]])


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
                where = f"{item.get('experiment')}: " if item.get("experiment") else ""
                lines.append(f"- {where}{item.get('finding', '')}")
                if isinstance(item.get("table"), list) and item["table"]:
                    lines += ["", markdown_table(item["table"]), ""]
                elif item.get("numbers"):
                    lines += ["", numbers_table(item["numbers"]), ""]
            else:
                lines.append(f"- {item}")
    statuses = [h for h in data.get("hypotheses") or [] if isinstance(h, dict)]
    if statuses:
        lines += ["", "**Hypotheses**", "", markdown_table([
            {"id": h.get("id"), "statement": h.get("statement"), "status": h.get("status"),
             "confidence": _confidence(h.get("confidence"))} for h in statuses])]
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
        self.progress = ""
        self.modality = "vision"
        self.stopped = False
        self._by_id: dict[str, gr.ChatMessage] = {}
        self._current_hypothesis: str | None = None

    def _add(self, message: gr.ChatMessage) -> gr.ChatMessage:
        self.messages.append(message)
        if message.metadata.get("id"):
            self._by_id[str(message.metadata["id"])] = message
        return message

    def _images(self, artifacts: list[dict[str, Any]]) -> list[Any]:
        """Chat content for artifacts: a gallery of stimuli sized to its rows, each plot full
        width with its title as a caption above it."""
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
                content.append(f"*{title}*" if title else "")
                content.append({"path": str(found), "alt_text": title})
        if images:
            columns = min(len(images), 4)
            rows = -(-len(images) // columns)
            # sized to its rows: no empty box below the images, no inner scrollbar
            gallery = gr.Gallery(value=images, columns=columns, rows=rows,
                                 height=rows * GALLERY_ROW_PX + 16, show_label=False,
                                 object_fit="contain", allow_preview=True)
            content.insert(0, gallery)
        return [c for c in content if c != ""]

    def feed(self, event: Event) -> None:
        """Update the chat with one event."""
        handler = getattr(self, f"_on_{event.type}", None)
        if handler is not None:
            handler(event.data)

    def _on_progress(self, d: dict[str, Any]) -> None:
        total = max(int(d.get("total") or 1), 1)
        done = int(d.get("done") or 0)
        eta = d.get("eta_s")
        left = f", about {eta:.0f} s left" if eta else ""
        self.progress = (f"{str(d.get('what', 'working'))[:1].upper()}"
                         f"{str(d.get('what', 'working'))[1:]}: {done}/{total}"
                         f" ({done / total:.0%}{left})") if done < total else ""

    def _on_step_interrupted(self, d: dict[str, Any]) -> None:
        self._add(gr.ChatMessage(content=f"*{d.get('message', 'a step was interrupted')}*"))

    def _on_run_started(self, d: dict[str, Any]) -> None:
        self.modality = str(d.get("modality") or self.modality)
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
        purpose = str(d.get("rationale") or "").strip() or _tool_purpose(
            str(d.get("tool")), self.modality)
        lines = [f"**Tests:** {purpose[:300]}"]
        if len(hypotheses) > 1:
            lines.append(f"*Bears on:* {', '.join(hypotheses)}")
        lines.append(f"<sub>`{d.get('tool')}({arguments[:_MAX_ARG_CHARS]})`</sub>")
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
        result = None if d.get("error") else parse_result(str(d.get("tool")), self.modality,
                                                          d.get("data") or {})
        if d.get("error"):
            found = f"**Error:** {d['error']}"
        else:
            sentence = (result.headline() if result else "") or _first_sentence(
                str(d.get("summary", "")))
            found = f"**Found:** {sentence}"
        rows = result.rows() if result is not None else []
        details = f"<details><summary>details</summary>\n\n{d.get('summary', '')}\n\n</details>"
        message.content = "\n\n".join(filter(None, [call, found, markdown_table(rows), details]))
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
        figures = self._images(d.get("figures") or [])
        self._add(gr.ChatMessage(content=[final_card(d), *figures] if figures
                                 else final_card(d), metadata={"id": "answer"}))
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


def _first_sentence(text: str, limit: int = 240) -> str:
    """The first sentence of a text, never cut mid-word."""
    sentence = text.split(". ")[0].strip()
    if len(sentence) <= limit:
        return sentence.rstrip(".") + "."
    return sentence[:limit].rsplit(" ", 1)[0] + " …"


def _tool_purpose(tool: str, modality: str) -> str:
    """What a tool tests, from the first sentence of its description."""
    try:
        return _first_sentence(get_tool(tool, modality).description)
    except Exception:  # noqa: BLE001 (an unknown tool in an old transcript)
        return tool


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
