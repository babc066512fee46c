"""Help: what each part of the window teaches, the keyboard, and where things come from."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTextBrowser, QVBoxLayout, QWidget

GUIDE = """
<h2>What you see</h2>
<p><b>Input: your drawing.</b> Draw a digit with the left button or a pen; the right button
(or the Eraser, <i>E</i>) erases. The network reads it as you draw.</p>
<p><b>What the network sees</b> is the <b>input layer</b>: 28×28 = 784 neurons, one per pixel.
Your ink is cropped, fitted into 20×20 and centred, as MNIST's digits were, and every pixel
is scaled from 0-255 to 0-1. Tick <b>Where it looked</b> to tint your ink by its share in
the answer's score: red ink raised it, blue ink lowered it (gradient × input); hover another
digit's bar to see why it was not that digit.</p>
<p><b>Inside the network</b>: each hidden layer computes <code>relu(W·x + b)</code>, a new
representation of your drawing. Convolution layers slide small filters (<code>W∗x</code>)
over the image and show one picture per filter. Hover a feature map to enlarge it; click a
neuron or a feature map to look inside it (<i>Ctrl+I</i>: the first layer): its weights, and its
value for your drawing as the sum it is, <code>z = W·x + b</code>, then <code>relu</code>.</p>
<p><b>Output: the network's answer</b> is the <b>output layer</b>: 10 neurons, one per digit,
turned into probabilities by softmax. The ten always share out all the certainty, even for a
letter; so two small networks, trained on digits against letters, symbols and scribbles,
judge first whether your drawing is a digit at all (the <b>digit detector</b>), and the
answer is <b>?</b> when it is not; the bars then still show what the digit network would say.
One looks at the picture, the other follows the path your pen took: a 9 and an a can leave
the same pixels, but the pen goes round them differently. The detector does not learn: if
your drawing is a digit, click it, and the digit network answers it from then on.</p>
<h2>Learning</h2>
<p>The <b>loss</b> (cross-entropy) measures how far the output is from the right answer.
<b>Train</b> shows the network thousands of MNIST digits; after each batch it adjusts every
<code>W</code> and <code>b</code> a little to drive the loss down (gradient descent). Watch the
curve fall, the validation accuracy rise, and your own drawing's layers change.</p>
<p><b>Continue from the current weights</b> trains the network on screen further (a run
stopped short, or saved with the network, goes on where it stopped); unticked, the same network
starts again from random weights. The panel's <b>New…</b> button (or the <b>Network</b> menu)
picks another shape, or lets you shape one: its layers, their widths, and how many weights
that makes.</p>
<h2>Steering a run</h2>
<p>Change the <b>learning rate</b> (or the <b>weight decay</b>) while it trains: the run goes on
with it from its next step, and the plot's lowest row shows the rate each step used over the
plan (dashed). The plan warms up for the first quarter of the run, which is why accuracy can dip at the start.
Paused, <b>Step</b> trains exactly one batch. <b>Network › Rewind the run</b> goes back through
the weights the run went through, your drawing read as it was then, and can continue from any
of them. <b>Network › Where it fails</b> shows which digits are taken for which (the confusion
matrix); a cell opens those digits, and any of them goes onto the canvas. Point at the plot to
read its curves; <b>Log-scale loss</b> shows the slow, late part of learning.</p>
<h2>Teaching it your handwriting</h2>
<p>When it misreads your drawing, say which digit it is: press the digit's key, click its bar,
or use <b>It's a</b> under the bars. The network learns from your drawing at once: a few
dozen small training steps on your drawing mixed with replayed MNIST digits (so that it does
not forget them). The bars move while it learns, a thin mark shows where each stood before,
and the line under them shows the loss of your drawing falling. Then it rehearses for a few
seconds in the background, mostly on the MNIST digits that look like yours, so that your
correction does not change how it reads them. Each correction is kept in
<b>Teach › Your handwriting</b> (relabel, delete, export, import); a training run with
<b>Include my handwriting</b> learns from all of them, and <b>Teach › Forget what I
taught</b> goes back to the network from before your corrections.</p>
<h2>Keyboard</h2>
<table cellpadding="3">
<tr><td><i>0</i> … <i>9</i></td><td>Your drawing is this digit: the network learns it</td></tr>
<tr><td><i>Ctrl+H</i></td><td>Your handwriting (the examples you taught)</td></tr>
<tr><td><i>Ctrl+T</i></td><td>Train, pause, resume</td></tr>
<tr><td><i>Ctrl+.</i></td><td>Stop training</td></tr>
<tr><td><i>Ctrl+M</i>, <i>Ctrl+R</i></td><td>Where it fails; a random test digit on the canvas</td></tr>
<tr><td><i>Ctrl+B</i>, <i>Ctrl+L</i></td><td>Rewind the run; log-scale loss</td></tr>
<tr><td><i>Ctrl+Z</i>, <i>Ctrl+Shift+Z</i></td><td>Undo, redo a stroke</td></tr>
<tr><td><i>Esc</i>, <i>Delete</i></td><td>Clear the canvas</td></tr>
<tr><td><i>E</i></td><td>Eraser on or off</td></tr>
<tr><td><i>Ctrl+O</i>, <i>Ctrl+S</i>, <i>Ctrl+Shift+S</i></td><td>Open, save, save a network as</td></tr>
<tr><td><i>F1</i></td><td>This guide</td></tr>
</table>
"""


def show_guide(parent: QWidget) -> None:
    dialog = QDialog(parent)
    dialog.setWindowTitle("How digitpad works")
    text = QTextBrowser()
    text.setHtml(GUIDE)
    text.setOpenExternalLinks(True)
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
    buttons.rejected.connect(dialog.reject)
    layout = QVBoxLayout(dialog)
    layout.addWidget(text)
    layout.addWidget(buttons)
    dialog.resize(560, 520)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
