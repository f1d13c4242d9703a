"""Pose frames in, verdicts out. NumPy and the standard library only (no cv2, mediapipe, streamlit)."""

from .pose import NUM_LANDMARKS, SKELETON_EDGES, Landmark, PoseFrame, Side, sided

__all__ = ["NUM_LANDMARKS", "SKELETON_EDGES", "Landmark", "PoseFrame", "Side", "sided"]
