"""Does regularization make a language model easier to interpret and to edit?

Fine-tunes variants of a base LM with different regularizers (L1 on MLP activations, L1 on
weights, magnitude pruning, top-k activation sparsity) next to an unregularized control, saves
each as a subject model `base@variant`, and measures held-out loss, activation sparsity and
rank-one (ROME-style) factual editing per variant. `python -m studies.regularization --help`.
"""
