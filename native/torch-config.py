# Prints the libtorch build settings of the Python torch installation running this script, as a gyp include (JSON):
# include dirs, defines (the C++11 ABI torch was built with), libraries (CUDA ones when torch has CUDA) and an rpath.
import json
import torch
import torch.utils.cpp_extension as ext

lib_dirs = ext.library_paths()
libs = ["-ltorch", "-ltorch_cpu", "-lc10"]
cuda = torch.version.cuda is not None
if cuda:
    libs += ["-ltorch_cuda", "-lc10_cuda"]
print(json.dumps({
    "variables": {
        "torch_include_dirs": ext.include_paths(),
        "torch_defines": ["_GLIBCXX_USE_CXX11_ABI=%d" % int(torch._C._GLIBCXX_USE_CXX11_ABI)],
        "torch_libraries": ["-L" + d for d in lib_dirs] + ["-Wl,--no-as-needed"] + libs + ["-Wl,--as-needed"],
        "torch_ldflags": ["-Wl,-rpath," + d for d in lib_dirs],
        "torch_version": torch.__version__,
        "torch_cuda": int(cuda),
    }
}, indent=2))
