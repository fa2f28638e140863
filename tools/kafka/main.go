// Command kfake-broker runs franz-go's kfake, an in-memory broker that speaks the Kafka wire
// protocol (consumer groups included), for the Kafka drain tests: there is no Kafka package for
// Debian and no Java registry on the machines the tests run on. It listens on 127.0.0.1 only,
// prints "listening <host:port>" once it accepts connections, and stops on SIGTERM or SIGINT.
// Test-only: -hold-metadata PREFIX holds every Metadata request naming a topic that begins with
// PREFIX (printing "holding metadata <topic>") until the broker gets SIGUSR1. A kafkajs producer
// asks for a topic's metadata before its first produce to it, so that produce stays in flight,
// not yet sent, for as long as a test wants.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func main() {
	port := flag.Int("port", 0, "port on 127.0.0.1 (0: a free one)")
	partitions := flag.Int("partitions", 3, "partitions of a topic created on first use")
	holdMetadata := flag.String("hold-metadata", "", "test-only: hold Metadata requests for topics with this prefix until SIGUSR1")
	version := flag.Bool("version", false, "print the version and exit")
	flag.Parse()
	if *version {
		fmt.Println("kfake-broker (franz-go kfake)")
		return
	}
	cluster, err := kfake.NewCluster(
		kfake.NumBrokers(1),
		kfake.Ports(*port),
		kfake.DefaultNumPartitions(*partitions),
		kfake.AllowAutoTopicCreation(),
	)
	if err != nil {
		fmt.Fprintln(os.Stderr, "kfake-broker:", err)
		os.Exit(1)
	}
	if *holdMetadata != "" {
		holdMetadataUntilUSR1(cluster, *holdMetadata)
	}
	fmt.Println("listening", cluster.ListenAddrs()[0])
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	<-stop
	cluster.Close()
}

// holdMetadataUntilUSR1 sleeps each Metadata request naming a topic with prefix until SIGUSR1;
// from then on they all pass. Only the held client's connection waits: kfake serves the others.
func holdMetadataUntilUSR1(cluster *kfake.Cluster, prefix string) {
	released := make(chan struct{})
	usr1 := make(chan os.Signal, 1)
	signal.Notify(usr1, syscall.SIGUSR1)
	go func() {
		<-usr1
		fmt.Println("released metadata")
		close(released)
	}()
	cluster.ControlKey(int16(kmsg.Metadata), func(req kmsg.Request) (kmsg.Response, error, bool) {
		cluster.KeepControl()
		for _, topic := range req.(*kmsg.MetadataRequest).Topics {
			if topic.Topic == nil || !strings.HasPrefix(*topic.Topic, prefix) {
				continue
			}
			select {
			case <-released:
			default:
				fmt.Println("holding metadata", *topic.Topic)
				cluster.SleepControl(func() { <-released })
			}
			break
		}
		return nil, nil, false
	})
}
