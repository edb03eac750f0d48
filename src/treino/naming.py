"""Names: the snake_case form Keras derives from a class name."""

import re


def snake_case(name: str) -> str:
    """``"BatchNormalization"`` → ``"batch_normalization"``, as Keras names layers and losses.

    Example:
        >>> snake_case("GlorotUniform"), snake_case("KLDivergence"), snake_case("Conv2D")
        ('glorot_uniform', 'kl_divergence', 'conv2d')
        >>> snake_case("SimpleRNN"), snake_case("SpatialDropout2D")
        ('simple_rnn', 'spatial_dropout2d')
    """
    intermediate = re.sub(r"(.)([A-Z][a-z0-9]+)", r"\1_\2", name)  # Keras's two-step rule
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", intermediate).lower()
