"""The doctor's words: each finding's title, evidence, explanation and suggestion, in pt-BR and en.

Every code has the same four entries in both languages (a test checks it):
``title``; ``evidence`` — a template filled with the finding's numbers;
``why`` — what is going on, in the course's terms; ``fix`` — what to change.
"""

from __future__ import annotations

CODES = (
    "divergence", "exploding_gradients", "symmetric_init", "bad_init_scale", "unscaled_inputs",
    "learning_rate_too_low", "no_progress", "vanishing_gradients", "dead_relu", "saturation",
    "oscillation", "overfitting", "underfitting", "class_imbalance",
)  # fmt: skip
"""Every finding the doctor knows, roughly from the most basic cause to the latest symptom."""

SEVERITY_WORDS = {
    "pt": {"critical": "CRÍTICO", "warning": "ATENÇÃO", "info": "NOTA", "layer": "camada",
           "epoch": "época", "evidence": "Evidência", "why": "Por quê", "fix": "Sugestão",
           "caused_by": "Provável causa", "healthy": "Nenhum problema encontrado no treino.",
           "header": "Diagnóstico do treino: {n} achado(s)."},
    "en": {"critical": "CRITICAL", "warning": "WARNING", "info": "NOTE", "layer": "layer",
           "epoch": "epoch", "evidence": "Evidence", "why": "Why", "fix": "Suggestion",
           "caused_by": "Likely cause", "healthy": "No training problem found.",
           "header": "Training diagnosis: {n} finding(s)."},
}  # fmt: skip

MESSAGES = {
    "pt": {
        "divergence": {
            "title": "O treino divergiu",
            "evidence": "a perda foi de {initial} (início) para {loss} na época {epoch}",
            "why": "cada passo do gradiente descendente aumentou a perda em vez de diminuí-la: "
                   "a taxa de aprendizado η é grande demais para a curvatura da superfície de "
                   "erro, e os pesos saltam para regiões cada vez piores (até NaN/inf).",
            "fix": "reduza a taxa de aprendizado (÷10, p. ex. Adam(1e-3)), use um agendamento "
                   "com aquecimento, ou limite o gradiente (clipnorm=1.0).",
        },
        "exploding_gradients": {
            "title": "Gradientes explodindo",
            "evidence": "‖∂L/∂W‖ = {grad_norm} na camada {layer} ({detail})",
            "why": "na retropropagação a regra da cadeia multiplica uma derivada por camada; "
                   "fatores maiores que 1 se acumulam e o gradiente cresce exponencialmente "
                   "em direção às primeiras camadas, tornando as atualizações instáveis.",
            "fix": "use inicialização He/Glorot, BatchNormalization, clipnorm=1.0 no otimizador "
                   "e uma taxa de aprendizado menor.",
        },
        "symmetric_init": {
            "title": "Inicialização simétrica",
            "evidence": "todas as {units} unidades da camada {layer} começam com os mesmos pesos "
                        "(desvio entre colunas = {spread})",
            "why": "neurônios com pesos iniciais iguais calculam a mesma saída e recebem o mesmo "
                   "gradiente: continuam iguais para sempre, e a camada se comporta como um único "
                   "neurônio (a simetria nunca é quebrada).",
            "fix": "inicialize os pesos aleatoriamente: kernel_initializer='glorot_uniform' "
                   "(tanh/sigmoide) ou 'he_normal' (ReLU); zeros só para os vieses.",
        },
        "bad_init_scale": {
            "title": "Escala de inicialização inadequada",
            "evidence": "desvio padrão dos pesos da camada {layer} = {std}, {factor}× o "
                        "recomendado ({reference}) para fan_in = {fan_in}",
            "why": "a variância das ativações é multiplicada por n·Var(w) a cada camada: pesos "
                   "grandes demais fazem os sinais e gradientes explodirem; pequenos demais, "
                   "desaparecerem.",
            "fix": "use a inicialização de Glorot (Var(w) = 2/(fan_in+fan_out)) ou de He "
                   "(Var(w) = 2/fan_in, para ReLU) — os padrões das camadas do treino.",
        },
        "unscaled_inputs": {
            "title": "Entradas sem normalização",
            "evidence": "escala típica (mediana) das entradas = {scale} (máx |x| = {max_abs}; "
                        "maior escala de uma variável / escala típica = {spread})",
            "why": "entradas grandes (p. ex. pixels 0–255) ou em escalas muito diferentes "
                   "tornam a superfície de erro alongada (mal condicionada): o gradiente "
                   "descendente oscila nas direções íngremes e anda devagar nas planas, e as "
                   "ativações saturam.",
            "fix": "normalize as entradas: divida pixels por 255, ou padronize cada variável "
                   "(x − μ)/σ (treino.preprocessing.StandardScaler ou a camada Normalization).",
        },
        "learning_rate_too_low": {
            "title": "Taxa de aprendizado baixa demais",
            "evidence": "a perda mudou {change} em {epochs} época(s); η = {learning_rate}, "
                        "atualização relativa ‖ΔW‖/‖W‖ ≈ {update_ratio}",
            "why": "os gradientes existem, mas cada passo w ← w − η·∂L/∂w é minúsculo: o modelo "
                   "levaria milhares de épocas para sair do lugar (o ideal é ‖ΔW‖/‖W‖ ≈ 1e-3).",
            "fix": "aumente a taxa de aprendizado (×10 ou ×100; Adam costuma ir bem com 1e-3) "
                   "ou procure-a com um teste de faixa de η.",
        },
        "no_progress": {
            "title": "O treino não progride desde o início",
            "evidence": "a perda mudou {change} em {epochs} época(s); maior ‖∂L/∂W‖ = {grad_norm}",
            "why": "a perda não diminui: ou os gradientes são praticamente nulos (a rede está "
                   "'morta' — nenhum sinal de erro chega aos pesos), ou os pesos se movem sem "
                   "que o erro caia (rótulos sem relação com as entradas, uma perda que não "
                   "combina com a saída).",
            "fix": "verifique a inicialização (aleatória, He/Glorot), as ativações (ReLUs "
                   "mortas, sigmoides saturadas), se a perda combina com a saída e se os "
                   "rótulos estão corretos.",
        },
        "vanishing_gradients": {
            "title": "Gradientes desaparecendo",
            "evidence": "‖∂L/∂W‖ na primeira camada ({layer}) é {ratio}× o da última "
                        "({first} contra {last})",
            "why": "a regra da cadeia multiplica as derivadas das ativações camada a camada; "
                   "com sigmoide (σ' ≤ 1/4) ou tanh em redes profundas o produto tende a zero, "
                   "e as primeiras camadas praticamente não aprendem.",
            "fix": "use ReLU (ou variantes) nas camadas ocultas, inicialização He, "
                   "BatchNormalization ou conexões residuais; reduza a profundidade.",
        },
        "dead_relu": {
            "title": "ReLUs mortas",
            "evidence": "{fraction} das unidades da camada {layer} saem 0 para todos os exemplos",
            "why": "uma ReLU com entrada sempre negativa tem derivada 0: não passa gradiente "
                   "e não se recupera. Costuma vir de uma taxa de aprendizado alta demais ou de "
                   "vieses muito negativos.",
            "fix": "reduza a taxa de aprendizado, use inicialização He com vieses 0, ou troque "
                   "por LeakyReLU/ELU.",
        },
        "saturation": {
            "title": "Ativações saturadas",
            "evidence": "{fraction} das saídas da camada {layer} ({activation}) estão na zona "
                        "plana, onde φ' < 5% do máximo",
            "why": "na zona saturada da sigmoide/tanh a derivada é quase zero, então a regra da "
                   "cadeia multiplica o gradiente por ≈ 0 e a camada para de aprender.",
            "fix": "normalize as entradas, use inicialização Glorot, BatchNormalization antes "
                   "da ativação, ou ReLU nas camadas ocultas.",
        },
        "oscillation": {
            "title": "A perda oscila",
            "evidence": "a perda subiu em {ups} de {steps} épocas, variando ±{swing} sem "
                        "melhora líquida (de {first} para {last})",
            "why": "a taxa de aprendizado é alta: os passos atravessam o vale da função de "
                   "custo de um lado para o outro em vez de descer até o mínimo.",
            "fix": "reduza a taxa de aprendizado (÷3 a ÷10), use momento com η menor, ou um "
                   "agendamento que reduza η (ReduceLROnPlateau, decaimento cosseno).",
        },
        "overfitting": {
            "title": "Sobreajuste (overfitting)",
            "evidence": "a perda de validação caiu até {best_val} na época {best_epoch} e subiu "
                        "para {val_loss}, enquanto a de treino caiu para {loss} "
                        "(distância de {gap_best} para {gap})",
            "why": "o modelo está memorizando o conjunto de treino em vez de aprender padrões "
                   "que generalizam: a distância entre treino e validação cresce.",
            "fix": "use EarlyStopping(restore_best_weights=True), regularização L2/dropout, "
                   "aumento de dados, mais dados ou um modelo menor.",
        },
        "underfitting": {
            "title": "Subajuste (underfitting)",
            "evidence": "a perda de treino estabilizou em {loss}, {fraction} da perda de um "
                        "palpite constante ({baseline})",
            "why": "o modelo não consegue representar os dados (capacidade insuficiente) ou "
                   "está regularizado demais: nem no conjunto de treino o erro cai.",
            "fix": "aumente a capacidade (mais unidades ou camadas, ativações não lineares), "
                   "reduza a regularização, ou treine por mais épocas.",
        },
        "class_imbalance": {
            "title": "Classes desbalanceadas",
            "evidence": "a classe {majority} tem {ratio}× mais exemplos que a classe {minority} "
                        "(frações {fractions})",
            "why": "com classes desbalanceadas o modelo pode minimizar a perda prevendo quase "
                   "sempre a classe majoritária, e a acurácia engana.",
            "fix": "passe class_weight ao fit (pesos ∝ 1/frequência), reamostre os dados, e "
                   "acompanhe precisão, revocação, F1 e a matriz de confusão.",
        },
    },
    "en": {
        "divergence": {
            "title": "Training diverged",
            "evidence": "the loss went from {initial} (start) to {loss} at epoch {epoch}",
            "why": "each gradient-descent step increased the loss instead of lowering it: the "
                   "learning rate η is too large for the curvature of the error surface, and "
                   "the weights jump to ever worse regions (up to NaN/inf).",
            "fix": "lower the learning rate (÷10, e.g. Adam(1e-3)), use a schedule with warm-up, "
                   "or clip the gradient (clipnorm=1.0).",
        },
        "exploding_gradients": {
            "title": "Exploding gradients",
            "evidence": "‖∂L/∂W‖ = {grad_norm} in layer {layer} ({detail})",
            "why": "backpropagation multiplies one derivative per layer; factors above 1 pile "
                   "up and the gradient grows exponentially towards the first layers, making "
                   "the updates unstable.",
            "fix": "use He/Glorot initialisation, BatchNormalization, clipnorm=1.0 in the "
                   "optimizer and a smaller learning rate.",
        },
        "symmetric_init": {
            "title": "Symmetric initialisation",
            "evidence": "all {units} units of layer {layer} start with the same weights "
                        "(spread between columns = {spread})",
            "why": "neurons with equal initial weights compute the same output and receive the "
                   "same gradient: they stay equal forever and the layer acts as one neuron "
                   "(the symmetry is never broken).",
            "fix": "initialise the weights randomly: kernel_initializer='glorot_uniform' "
                   "(tanh/sigmoid) or 'he_normal' (ReLU); zeros only for the biases.",
        },
        "bad_init_scale": {
            "title": "Badly scaled initialisation",
            "evidence": "the weights of layer {layer} have standard deviation {std}, {factor}× "
                        "the recommended {reference} for fan_in = {fan_in}",
            "why": "each layer multiplies the variance of the activations by n·Var(w): weights "
                   "too large make signals and gradients explode; too small, vanish.",
            "fix": "use Glorot initialisation (Var(w) = 2/(fan_in+fan_out)) or He "
                   "(Var(w) = 2/fan_in, for ReLU) — treino's layer defaults.",
        },
        "unscaled_inputs": {
            "title": "Inputs are not normalised",
            "evidence": "typical (median) input scale = {scale} (max |x| = {max_abs}; largest "
                        "feature scale / typical scale = {spread})",
            "why": "large inputs (e.g. 0–255 pixels) or features on very different scales make "
                   "the error surface elongated (ill-conditioned): gradient descent zig-zags "
                   "along the steep directions, crawls along the flat ones, and activations "
                   "saturate.",
            "fix": "normalise the inputs: divide pixels by 255, or standardise each feature "
                   "(x − μ)/σ (treino.preprocessing.StandardScaler or the Normalization layer).",
        },
        "learning_rate_too_low": {
            "title": "Learning rate too low",
            "evidence": "the loss changed by {change} in {epochs} epoch(s); η = {learning_rate}, "
                        "relative update ‖ΔW‖/‖W‖ ≈ {update_ratio}",
            "why": "the gradients are there, but each step w ← w − η·∂L/∂w is tiny: the model "
                   "would need thousands of epochs to move (a healthy ‖ΔW‖/‖W‖ is about 1e-3).",
            "fix": "raise the learning rate (×10 or ×100; Adam usually does well at 1e-3) or "
                   "find it with a learning-rate range test.",
        },
        "no_progress": {
            "title": "No progress since the start",
            "evidence": "the loss changed by {change} in {epochs} epoch(s); largest "
                        "‖∂L/∂W‖ = {grad_norm}",
            "why": "the loss does not go down: either the gradients are practically zero (the "
                   "network is 'dead' — no error signal reaches the weights), or the weights "
                   "move without the error falling (labels unrelated to the inputs, a loss "
                   "that does not match the output).",
            "fix": "check the initialisation (random, He/Glorot), the activations (dead ReLUs, "
                   "saturated sigmoids), that the loss matches the output, and the labels.",
        },
        "vanishing_gradients": {
            "title": "Vanishing gradients",
            "evidence": "‖∂L/∂W‖ in the first layer ({layer}) is {ratio}× the last layer's "
                        "({first} vs {last})",
            "why": "the chain rule multiplies the activations' derivatives layer after layer; "
                   "with sigmoid (σ' ≤ 1/4) or tanh in deep networks the product goes to zero "
                   "and the first layers barely learn.",
            "fix": "use ReLU (or a variant) in the hidden layers, He initialisation, "
                   "BatchNormalization or residual connections; reduce the depth.",
        },
        "dead_relu": {
            "title": "Dead ReLUs",
            "evidence": "{fraction} of the units of layer {layer} output 0 for every example",
            "why": "a ReLU whose input is always negative has derivative 0: it passes no "
                   "gradient and never recovers. Usually caused by a learning rate that is too "
                   "high or by very negative biases.",
            "fix": "lower the learning rate, use He initialisation with zero biases, or switch "
                   "to LeakyReLU/ELU.",
        },
        "saturation": {
            "title": "Saturated activations",
            "evidence": "{fraction} of the outputs of layer {layer} ({activation}) lie in the "
                        "flat zone, where φ' < 5% of its peak",
            "why": "in the saturated zone of sigmoid/tanh the derivative is nearly zero, so the "
                   "chain rule multiplies the gradient by ≈ 0 and the layer stops learning.",
            "fix": "normalise the inputs, use Glorot initialisation, BatchNormalization before "
                   "the activation, or ReLU in the hidden layers.",
        },
        "oscillation": {
            "title": "The loss oscillates",
            "evidence": "the loss rose in {ups} of {steps} epochs, swinging ±{swing} with no net "
                        "improvement (from {first} to {last})",
            "why": "the learning rate is high: the steps jump from one side of the cost "
                   "function's valley to the other instead of descending to the minimum.",
            "fix": "lower the learning rate (÷3 to ÷10), use momentum with a smaller η, or a "
                   "schedule that decays η (ReduceLROnPlateau, cosine decay).",
        },
        "overfitting": {
            "title": "Overfitting",
            "evidence": "the validation loss fell to {best_val} at epoch {best_epoch} and rose to "
                        "{val_loss}, while the training loss fell to {loss} (gap from "
                        "{gap_best} to {gap})",
            "why": "the model is memorising the training set instead of learning patterns that "
                   "generalise: the gap between training and validation grows.",
            "fix": "use EarlyStopping(restore_best_weights=True), L2/dropout regularisation, "
                   "data augmentation, more data or a smaller model.",
        },
        "underfitting": {
            "title": "Underfitting",
            "evidence": "the training loss levelled off at {loss}, {fraction} of the loss of a "
                        "constant guess ({baseline})",
            "why": "the model cannot represent the data (too little capacity) or is "
                   "over-regularised: the error does not fall even on the training set.",
            "fix": "increase the capacity (more units or layers, non-linear activations), "
                   "reduce the regularisation, or train for more epochs.",
        },
        "class_imbalance": {
            "title": "Imbalanced classes",
            "evidence": "class {majority} has {ratio}× more examples than class {minority} "
                        "(fractions {fractions})",
            "why": "with imbalanced classes the model can lower the loss by predicting the "
                   "majority class almost always, and accuracy becomes misleading.",
            "fix": "pass class_weight to fit (weights ∝ 1/frequency), resample the data, and "
                   "track precision, recall, F1 and the confusion matrix.",
        },
    },
}
