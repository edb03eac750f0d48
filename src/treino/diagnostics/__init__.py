"""The training doctor: find what goes wrong in a training run and say how to fix it.

The course asks for "ferramentas de diagnóstico automático que monitoram o
comportamento do treinamento e alertam sobre potenciais problemas, sugerindo
correções". Two ways to use it::

    from treino.diagnostics import TrainingDoctor, diagnose

    doctor = TrainingDoctor(lang="pt")                 # live: each finding printed once
    history = model.fit(x, y, validation_split=0.2, epochs=20, callbacks=[doctor])
    print(doctor.report)

    print(diagnose(history, model, x, y, lang="en"))   # afterwards, from the History

Each :class:`Finding` has a ``code`` (one of :data:`CODES`), a ``severity``,
its ``evidence`` (numbers, epoch, layer), an explanation in the course's terms
and a concrete suggestion, in Brazilian Portuguese and English. What it
detects: divergence, oscillation (learning rate too high), no progress
(learning rate too low, dead network), vanishing and exploding gradients,
dead ReLUs, saturated sigmoid/tanh, overfitting, underfitting, unscaled
inputs, class imbalance, symmetric or badly scaled initialisation. When one
finding explains another (dead ReLUs after a divergence), the symptom names
its likely cause (``caused_by``) and the report lists root causes first.
"""

from treino.diagnostics.data import DataStats, initialization_findings
from treino.diagnostics.doctor import TrainingDoctor, diagnose
from treino.diagnostics.findings import SEVERITIES, Finding, Report
from treino.diagnostics.messages import CODES, MESSAGES

__all__ = [
    "CODES",
    "MESSAGES",
    "SEVERITIES",
    "DataStats",
    "Finding",
    "Report",
    "TrainingDoctor",
    "diagnose",
    "initialization_findings",
]
