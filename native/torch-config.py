# Prints the libtorch build settings of the Python torch installation running this script, as a gyp include (JSON):
# include dirs, defines (the C++11 ABI torch was built with), libraries (CUDA ones when torch has CUDA) and an rpath.
# The c10d collectives (native/src/dist.cc) are enabled (USE_C10D_GLOO, GMMSEG_DIST) when torch has Gloo and the
# Gloo headers exist (Debian: libgloo-dev; libtorch-dev does not depend on it).
import json
import os
import torch
import torch.utils.cpp_extension as ext


def gloo_include(include_dirs):
    """The folder holding gloo/config.h (torch's own include dirs, then the system's), or None."""
    try:
        import torch.distributed as dist
        if not (dist.is_available() and dist.is_gloo_available()):
            return None
    except Exception:
        return None
    for d in list(include_dirs) + ["/usr/include", "/usr/local/include"]:
        if os.path.exists(os.path.join(d, "gloo", "config.h")):
            return d
    return None


lib_dirs = ext.library_paths()
libs = ["-ltorch", "-ltorch_cpu", "-lc10"]
cuda = torch.version.cuda is not None
if cuda:
    libs += ["-ltorch_cuda", "-lc10_cuda"]
include_dirs = ext.include_paths()
defines = ["_GLIBCXX_USE_CXX11_ABI=%d" % int(torch._C._GLIBCXX_USE_CXX11_ABI)]
gloo = gloo_include(include_dirs)
if gloo is not None:
    defines += ["USE_C10D_GLOO", "GMMSEG_DIST=1"]
    if gloo not in include_dirs:
        include_dirs.append(gloo)
print(json.dumps({
    "variables": {
        "torch_include_dirs": include_dirs,
        "torch_defines": defines,
        "torch_libraries": ["-L" + d for d in lib_dirs] + ["-Wl,--no-as-needed"] + libs + ["-Wl,--as-needed"],
        "torch_ldflags": ["-Wl,-rpath," + d for d in lib_dirs],
        "torch_version": torch.__version__,
        "torch_cuda": int(cuda),
        "torch_dist": "gloo" if gloo is not None else "",
    }
}, indent=2))
