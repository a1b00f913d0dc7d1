"""The Studies tab lists study reports and shows one, never a file outside the studies folder."""

from PIL import Image

from app_ui import studies


def test_studies_are_listed_and_shown_with_their_plots(tmp_path, monkeypatch):
    folder = tmp_path / "regularization" / "small"
    folder.mkdir(parents=True)
    (folder / "report.md").write_text("# Study\n\n| a |\n|---|\n| 1 |\n\n![loss](loss.png)\n"
                                      "![missing](gone.png)\n![outside](../../secret.png)\n")
    Image.new("RGB", (8, 8)).save(folder / "loss.png")
    Image.new("RGB", (8, 8)).save(tmp_path / "secret.png")
    monkeypatch.setenv("WORKBENCH_STUDIES", str(tmp_path))
    assert studies.studies() == ["regularization/small"]
    text, images = studies.show("regularization/small")
    assert "| 1 |" in text and "![" not in text
    assert [caption for _, caption in images] == ["loss"]  # missing and outside are left out
    assert "No study named" in studies.show("../..")[0]
