"""Names: the snake_case form Keras derives from a class name."""

import re


def snake_case(name: str) -> str:
    """``"BatchNormalization"`` → ``"batch_normalization"``, as Keras names layers and losses.

    Example:
        >>> snake_case("GlorotUniform"), snake_case("KLDivergence")
        ('glorot_uniform', 'kl_divergence')
    """
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name).lower()
