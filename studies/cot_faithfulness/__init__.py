"""The chain-of-thought faithfulness study: when a language model gets the right answer, does
its chain of thought cause it, and where do the answer's carriers sit when the reasoning is
sound and when it is flawed? See README.md."""
