"""Video: a clip painted in fast mode, frame by frame, steadied against flicker.

``probe`` checks a clip from its header and first frame (PyAV), ``reader``
decodes its frames upright at the painted size beside its audio packets,
``steady`` carries the last painting along the optical flow where it is
reliable, ``writer`` encodes the H.264 MP4 with the audio copied, and ``job``
is the job a line runs for ``mode="video"``.
"""

from nst.video.probe import ClipInfo, is_clip, probe_clip

__all__ = ["ClipInfo", "is_clip", "probe_clip"]
