"""Synthetic exercise footage with exact ground truth (optional ``synth`` extra).

Pure modules (numpy + stdlib): :mod:`tools.synth.timeline`, :mod:`tools.synth.geometry`,
:mod:`tools.synth.samples`. Heavy modules (torch, anny, pyrender): :mod:`tools.synth.body`,
:mod:`tools.synth.poses`, :mod:`tools.synth.scene`, :mod:`tools.synth.render`.
"""
