"""Sparse autoencoders (SAEs) over a language model's activations, their latents as units.

`model` holds the SAE and its config, `store` saves and finds them in the cache, `layers` turns
one into a layer of a TextModel, `train` trains one (SAELens's trainer), `lens` converts SAELens
SAEs and fetches published ones, `cli` is `python -m models.sae`.
"""
