"""The workbench in a browser: pick a model and a unit, ask, watch the agent experiment.

UI wiring only: the handlers live in app_ui/handlers.py, rendering in app_ui/render.py.
Run with `python app.py` (GRADIO_SERVER_NAME / GRADIO_SERVER_PORT, transcripts under
WORKBENCH_RUNS, default ./runs).
"""

from __future__ import annotations

from pathlib import Path

import gradio as gr

from agent.policies import policy_names
from app_ui import atlas as atlas_ui
from app_ui import handlers
from app_ui import studies as studies_ui
from app_ui.runs import runs_root
from app_ui.settings import app_settings

# Agent runs at once per process; each holds a model's activations, so on CPU more would
# only slow every run down. Models themselves are shared (one copy per process).
AGENT_CONCURRENCY = app_settings().concurrency
DEFAULT_MODEL = "synthetic-vision"
#: When a run ends, bring its answer card (the chat's last message) into view.
SCROLL_TO_ANSWER = """() => {
  const messages = document.querySelectorAll('#chat .message-row, #chat .message');
  const last = messages[messages.length - 1];
  if (last) { last.scrollIntoView({block: 'start', behavior: 'smooth'}); }
}"""


def build_demo() -> gr.Blocks:
    """The Blocks app: a Chat tab and a Transcripts tab."""
    models = handlers.model_choices()
    names = [name for _, name in models]
    model = DEFAULT_MODEL if DEFAULT_MODEL in names else (names[0] if names else None)
    layers = handlers.layer_units(model) if model else {}
    layer = next(iter(layers), None)
    with gr.Blocks(title="Interpretability workbench") as demo:
        session = gr.State({})  # this browser session's run: its stop event and folder
        # the browser keeps its owner id (encrypted) across reloads: its runs stay its own
        owner = gr.BrowserState("", storage_key="workbench-owner",
                                secret=app_settings().session_secret)
        gr.Markdown("## Interpretability workbench\nAsk a question about a unit or a model; "
                    "an agent answers by running experiments on the real model.")
        with gr.Tabs() as tabs:
            with gr.Tab("Chat", id="chat"):
                with gr.Row():
                    with gr.Column(scale=1, min_width=300):
                        model_box = gr.Dropdown(models, value=model, label="Subject model",
                                                elem_id="model")
                        model_status = gr.Markdown("", elem_id="model-status")
                        layer_box = gr.Dropdown(list(layers), value=layer, label="Layer",
                                                elem_id="layer")
                        # no precision: a fractional index must be refused, not rounded
                        unit_box = gr.Number(0, elem_id="unit-index",
                                             label=handlers.unit_label(layers.get(layer or "")))
                        whole_model = gr.Checkbox(False, label="Whole-model question (no unit)",
                                                  elem_id="whole-model")
                        preset = gr.Dropdown(list(handlers.PRESETS), value=None,
                                             label="Preset questions", elem_id="preset")
                        class_box = gr.Dropdown([], value=None, label="Class (for the class preset)",
                                                visible=False, elem_id="class-box")
                        with gr.Accordion("Policy and budgets", open=False):
                            policy = gr.Radio(list(policy_names()), value="systematic",
                                              label="Policy", elem_id="policy")
                            with gr.Group(visible=False) as llm_group:
                                base_url = gr.Textbox(label="Base URL (OpenAI-compatible)",
                                                      placeholder="https://api.openai.com/v1")
                                llm_model = gr.Textbox(label="Backbone model name")
                                api_key = gr.Textbox(label="API key for this URL (the server's "
                                                     "own key is used only with the server's "
                                                     "own endpoint)", type="password")
                            max_rounds = gr.Slider(1, 12, 6, step=1, label="Rounds", elem_id="rounds")
                            max_tool_calls = gr.Slider(1, 100, 40, step=1, label="Tool calls")
                            max_seconds = gr.Slider(30, 3600, 900, step=30, label="Seconds")
                        share = gr.Checkbox(False, label="Share this run in the public gallery",
                                            elem_id="share")
                    with gr.Column(scale=3):
                        question = gr.Textbox("What does this unit detect?", label="Question",
                                              elem_id="question")
                        with gr.Row():
                            ask_button = gr.Button("Ask", variant="primary", elem_id="ask")
                            stop_button = gr.Button("Stop", variant="stop", elem_id="stop")
                        status = gr.Markdown("", elem_id="status")
                        chat = gr.Chatbot(label="Agent", height="75vh", elem_id="chat",
                                          group_consecutive_messages=False, autoscroll=True)
                        with gr.Row():
                            download = gr.File(label="Download the run (zip)")
                            final = gr.JSON(label="Final answer")
            with gr.Tab("Transcripts", id="transcripts"):
                gr.Markdown("Your runs, and runs others shared in the gallery. A replay reads the "
                            "event log only, without loading any model.")
                with gr.Row():
                    run_box = gr.Dropdown([], value=None, allow_custom_value=True, label="Run",
                                          scale=4, elem_id="run-box")
                    refresh_button = gr.Button("Refresh", scale=1)
                    replay_button = gr.Button("Replay", variant="primary", scale=1)
                    share_box = gr.Checkbox(False, label="Shared in the gallery", scale=1)
                replay_status = gr.Markdown("")
                replay_chat = gr.Chatbot(label="Replay", height=640,
                                         group_consecutive_messages=False)
                with gr.Row():
                    replay_download = gr.File(label="Download the run (zip)")
                    replay_final = gr.JSON(label="Final answer")
            with gr.Tab("Atlas", id="atlas"):
                gr.Markdown("Atlases describe every unit of a layer (`python -m bench atlas`). "
                            "Search descriptions by words, filter by layer and score, and open "
                            "a unit in the Chat tab for a deeper run.")
                with gr.Row():
                    atlas_box = gr.Dropdown(atlas_ui.atlases(), label="Atlas", scale=3,
                                            elem_id="atlas-box")
                    atlas_layer = gr.Dropdown([], label="Layer", scale=2, elem_id="atlas-layer")
                    atlas_metric = gr.Dropdown(list(atlas_ui.SCORE_CHOICES),
                                               value="simulation_r", label="Score", scale=1)
                    atlas_min = gr.Slider(-1, 1, -1, step=0.05, label="At least", scale=2)
                with gr.Row():
                    atlas_words = gr.Textbox(label="Words in the description", scale=4,
                                             elem_id="atlas-words")
                    atlas_search = gr.Button("Search", variant="primary", scale=1,
                                             elem_id="atlas-search")
                atlas_status = gr.Markdown("", elem_id="atlas-status")
                atlas_table = gr.Dataframe(headers=list(atlas_ui.TABLE), interactive=False,
                                           wrap=True, elem_id="atlas-table")
                with gr.Row():
                    with gr.Column(scale=3):
                        atlas_card = gr.Markdown("", elem_id="atlas-card")
                    with gr.Column(scale=2):
                        atlas_images = gr.Gallery(label="Top exemplars", columns=3,
                                                  height=320)
                atlas_unit = gr.Textbox(visible=False)
                open_button = gr.Button("Open this unit in the Chat tab", elem_id="atlas-open")
            with gr.Tab("Studies", id="studies"):
                gr.Markdown("Research studies run on the workbench (e.g. `python -m "
                            "studies.regularization run`): each report's table and plots.")
                found = studies_ui.studies()
                first_report, first_plots = studies_ui.show(found[0]) if found else ("", [])
                study_box = gr.Dropdown(found, value=found[0] if found else None,
                                        label="Study", elem_id="study-box")
                study_report = gr.Markdown(first_report, elem_id="study-report")
                study_plots = gr.Gallery(first_plots, label="Plots", columns=2, height=420)

        model_box.change(handlers.on_model_change, [model_box, layer_box, unit_box],
                         [layer_box, unit_box, model_status], api_name=False)
        # .input: a user's pick (.change did not fire for a dropdown that starts empty)
        atlas_box.input(atlas_ui.layers_of, atlas_box, atlas_layer, api_name=False)
        study_box.input(studies_ui.show, study_box, [study_report, study_plots],
                         api_name=False)
        atlas_search.click(atlas_ui.search, [atlas_box, atlas_words, atlas_layer, atlas_metric,
                                             atlas_min], [atlas_table, atlas_status],
                           api_name="atlas_search")
        atlas_table.select(atlas_ui.pick, atlas_table, atlas_unit, api_name=False).then(
            atlas_ui.unit_card, [atlas_box, atlas_unit], [atlas_card, atlas_images],
            api_name=False)
        open_button.click(atlas_ui.open_in_chat, atlas_unit,
                          [model_box, layer_box, unit_box, whole_model, tabs, atlas_status],
                          api_name=False)
        whole_model.change(handlers.on_whole_model, whole_model, [layer_box, unit_box],
                           api_name=False)
        class_box.change(handlers.on_class_pick, [class_box, question], question,
                         api_name=False)
        layer_box.change(handlers.on_layer_change, [model_box, layer_box], unit_box,
                         api_name=False)
        preset.change(handlers.on_preset, [preset, model_box], [question, whole_model, class_box],
                      api_name=False)
        policy.change(handlers.on_policy_change, policy, llm_group, api_name=False)
        ask_button.click(
            handlers.ask,
            [model_box, layer_box, unit_box, whole_model, question, policy, base_url,
             llm_model, api_key, max_rounds, max_tool_calls, max_seconds, session, owner,
             share],
            [chat, status, download, final], api_name="ask",
            concurrency_limit=AGENT_CONCURRENCY, concurrency_id="agent").then(
            None, None, None, js=SCROLL_TO_ANSWER)
        # Stop must never wait behind the runs it is meant to stop.
        stop_button.click(handlers.stop_run, session, status, api_name="stop",
                          queue=False)
        refresh_button.click(handlers.refresh_runs, [owner, session], run_box,
                             api_name=False, concurrency_limit=None)
        listing = gr.JSON(visible=False)
        gr.Button(visible=False).click(handlers.recorded_runs, [owner, session], listing,
                                       api_name="list_runs", concurrency_limit=None)
        replay_button.click(handlers.replay, [run_box, owner, session],
                            [replay_chat, replay_status, replay_download, replay_final],
                            api_name="replay")
        share_box.input(handlers.set_shared, [run_box, share_box, owner, session],
                        replay_status, api_name=False)
        demo.load(handlers.ensure_owner, owner, owner, api_name=False).then(
            handlers.refresh_runs, [owner, session], run_box, api_name=False)
    return demo


def main() -> None:
    """Start the server (GRADIO_SERVER_NAME and GRADIO_SERVER_PORT are read by launch)."""
    check_runs_root()
    if app_settings().warm:
        handlers.warm_up()
    demo = build_demo()
    # a bounded queue: past it, gradio answers "queue is full, try again" at once
    demo.queue(default_concurrency_limit=AGENT_CONCURRENCY,
               max_size=app_settings().queue_size)
    # no allowed_paths: run folders (checkpoints, other sessions' artifacts) are never served
    # by path; the images a chat shows are copied into gradio's cache when shown
    demo.launch()


def check_runs_root() -> None:
    """Refuse a transcript folder gradio cannot show images from without serving it whole."""
    import tempfile

    root = runs_root()
    if not any(root.is_relative_to(Path(p).resolve())
               for p in (Path.cwd(), tempfile.gettempdir())):
        raise SystemExit(f"WORKBENCH_RUNS={root} is outside the working directory and the temp "
                         "directory: the app could only show its images by serving the whole "
                         "folder (checkpoints and every session's runs). Put it under one of "
                         "them.")


if __name__ == "__main__":
    main()
