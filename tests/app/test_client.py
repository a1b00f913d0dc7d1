"""The real app in a subprocess, driven through its API with gradio_client."""

from __future__ import annotations

from pathlib import Path

from gradio_client import Client

from tests.app.helpers import running_app


def test_ask_through_the_api_returns_the_final_answer(tmp_path: Path) -> None:
    with running_app(tmp_path) as url:
        client = Client(url, verbose=False)
        assert {"/ask", "/stop", "/list_runs", "/replay"} <= set(
            client.view_api(print_info=False, return_format="dict")["named_endpoints"])
        chat, status, download, final = client.predict(
            "synthetic-vision", "and", 0, False, "What does this unit detect?", "systematic",
            "", "", "", 1, 40, 900, False, api_name="/ask")
        assert final["label"] and 0.0 <= final["confidence"] <= 1.0
        assert "Answer" in status
        assert Path(download).suffix == ".zip"
        assert any(m["metadata"] and m["metadata"].get("parent_id") == "hyp-H1"
                   for m in chat)
        run_names = client.predict(api_name="/list_runs")
        assert len(run_names) == 1
        run_name = run_names[0]
        assert (tmp_path / run_name / "events.jsonl").is_file()
        replayed = client.predict(run_name, api_name="/replay")
        assert replayed[3] == final
        refused = client.predict("../" + run_name, api_name="/replay")
        assert refused[0] == [] and refused[1].startswith("Error:")
        # another client (another session) sees none of it
        stranger = Client(url, verbose=False)
        assert stranger.predict(api_name="/list_runs") == []
        assert stranger.predict(run_name, api_name="/replay")[1].startswith("Error:")
        # the checkpoint database is never served, not even by its exact path
        sqlite = tmp_path / run_name / "checkpoints.sqlite"
        assert sqlite.is_file()
        import urllib.error
        import urllib.request
        try:
            with urllib.request.urlopen(f"{url}gradio_api/file={sqlite}", timeout=10) as r:
                status_code = r.status
        except urllib.error.HTTPError as error:
            status_code = error.code
        assert status_code == 403
